// One HTTP request with any method and body, a whole-request deadline and a capped response body,
// for the publishers that talk to an API (KV, S3). Errors are FetchErrors naming the URL.
import { FetchError } from '../../ports/fetch.ts';

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  headers?: Headers | Record<string, string>;
  body?: Uint8Array | string;
  timeoutMs: number;
  /** Largest response body accepted. */
  maxBytes: number;
  signal?: AbortSignal;
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
    const describe = (e: unknown): FetchError => {
      if (e instanceof FetchError) return e;
      if (deadline.aborted) return new FetchError(url, 'timeout', `no complete answer within ${request.timeoutMs} ms`);
      if (request.signal?.aborted) return new FetchError(url, 'aborted', 'request was cancelled');
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return new FetchError(url, 'unreachable', `cannot connect (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    };
    try {
      const init: RequestInit = { method: request.method, signal, redirect: 'error' };
      if (request.headers !== undefined) init.headers = request.headers;
      if (request.body !== undefined) {
        init.body = typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
      }
      const response = await fetch(url, init);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > request.maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new FetchError(url, 'too-large', `answer of ${declared} bytes is over the limit of ${request.maxBytes}`);
      }
      const body = await readAll(response, request.maxBytes, url);
      return { status: response.status, headers: response.headers, body };
    } catch (e) {
      throw describe(e);
    }
  };
}

async function readAll(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchError(url, 'too-large', `answer is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** A short, secret-free excerpt of an error body for messages. */
export function excerpt(body: Uint8Array, max = 300): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, max * 4));
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
