// One HTTP request with any method and body, a whole-request deadline and a capped response body,
// for the publishers that talk to an API (KV, S3). Errors are FetchErrors naming the URL.
import { FetchError } from '../../ports/fetch.ts';
import { toFetchError } from '../web/limited-fetch.ts';
import { TooLargeError, readResponseCapped } from '../web/read-capped.ts';

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  headers?: Headers | Record<string, string>;
  body?: Uint8Array | string | undefined;
  timeoutMs: number;
  /** Largest response body accepted. */
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export type HttpCall = (url: string, request: HttpRequest) => Promise<HttpResponse>;

export function createHttpCall({ fetch = globalThis.fetch }: { fetch?: typeof globalThis.fetch } = {}): HttpCall {
  return async (url, request) => {
    const deadline = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    try {
      const init: RequestInit = { method: request.method, signal, redirect: 'error' };
      if (request.headers !== undefined) init.headers = request.headers;
      if (request.body !== undefined) {
        init.body = typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
      }
      const response = await fetch(url, init);
      // A HEAD answer has no body; its Content-Length describes the object, not the answer.
      const body = request.method === 'HEAD' ? new Uint8Array(0) : await readResponseCapped(response, request.maxBytes);
      return { status: response.status, headers: response.headers, body };
    } catch (e) {
      if (e instanceof TooLargeError) {
        const size =
          e.declaredBytes === undefined
            ? `answer is over the limit of ${e.maxBytes} bytes`
            : `answer of ${e.declaredBytes} bytes is over the limit of ${e.maxBytes}`;
        throw new FetchError(url, 'too-large', size);
      }
      throw toFetchError(url, e, { deadline, timeoutMs: request.timeoutMs, signal: request.signal });
    }
  };
}

/** A short, secret-free excerpt of an error body for messages. */
export function excerpt(body: Uint8Array, max = 300): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, max * 4));
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
