// One HTTP request, the way every adapter makes one: a deadline over the whole exchange (every
// redirect hop and the body), the caller's abort signal, a capped body, and every failure as a
// FetchError naming the URL and the problem. Redirects are an error unless a RedirectPolicy
// follows them, one checked hop at a time. Web-standard only (Node's undici fetch, workerd): the
// limited fetch, the publishers' API clients and the IPFS service clients are all built on it.
import { FetchError } from '../../ports/fetch.ts';
import { TooLargeError, readResponseCapped } from './read-capped.ts';

export interface HttpRequest {
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Headers | Record<string, string>;
  body?: Uint8Array | string | undefined;
  /** Whole-request deadline (connect, every redirect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Largest response body accepted, in bytes. */
  maxBytes: number;
  /** Aborts the request early (a hedged request that lost, a job that was cancelled). */
  signal?: AbortSignal | undefined;
  /** Follow redirects under this policy; without one a redirect fails the request. */
  redirects?: RedirectPolicy;
}

/** How redirects are followed: each hop repeats the request (meant for GET and HEAD). */
export interface RedirectPolicy {
  /** Redirects followed per request. */
  max: number;
  /** Throws a FetchError to refuse a hop (only http and https are ever followed). */
  check?: (next: URL) => void;
}

export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  headers: Headers;
  /** Empty for HEAD. */
  body: Uint8Array;
}

export type HttpCall = (url: string, request: HttpRequest) => Promise<HttpResponse>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createHttpCall({ fetch = globalThis.fetch }: { fetch?: typeof globalThis.fetch } = {}): HttpCall {
  return async (url, request) => {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new FetchError(url, 'bad-url', 'not a valid URL');
    }
    const method = request.method ?? 'GET';
    const deadline = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    const init: RequestInit = { method, signal, redirect: 'manual' };
    if (request.headers !== undefined) init.headers = request.headers;
    if (request.body !== undefined) init.body = typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
    try {
      for (let hop = 0; ; hop++) {
        const response = await fetch(current.href, init);
        const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null;
        if (location === null) {
          // A HEAD answer has no body; its Content-Length describes the object, not the answer.
          const body = method === 'HEAD' ? new Uint8Array(0) : await readBody(url, response, request.maxBytes);
          return { url: current.href, status: response.status, headers: response.headers, body };
        }
        await response.body?.cancel().catch(() => undefined);
        if (request.redirects === undefined) {
          throw new FetchError(
            url,
            'redirect',
            `answered HTTP ${response.status} to ${location}; redirects are not followed here`,
            response.status,
          );
        }
        current = nextHop(url, current, location, hop, request.redirects);
      }
    } catch (e) {
      throw toFetchError(url, e, { deadline, timeoutMs: request.timeoutMs, signal: request.signal });
    }
  };
}

/** The capped body; over the limit, a FetchError that carries the status (an error page or the answer?). */
async function readBody(url: string, response: Response, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readResponseCapped(response, maxBytes);
  } catch (e) {
    if (e instanceof TooLargeError) throw new FetchError(url, 'too-large', e.message, response.status);
    throw e;
  }
}

function nextHop(url: string, from: URL, location: string, hop: number, policy: RedirectPolicy): URL {
  if (hop >= policy.max) throw new FetchError(url, 'redirect', `more than ${policy.max} redirects (last to ${location})`);
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new FetchError(url, 'redirect', `redirected to an invalid URL (${location})`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new FetchError(url, 'redirect', `redirected to a ${next.protocol} URL; only http and https are followed`);
  }
  policy.check?.(next);
  return next;
}

/**
 * What a failed request means, as a FetchError naming the URL: the body was too large, the
 * deadline passed, the caller cancelled, or the connection failed (with the system's reason).
 * A FetchError passes through.
 */
function toFetchError(
  url: string,
  e: unknown,
  { deadline, timeoutMs, signal }: { deadline: AbortSignal; timeoutMs: number; signal?: AbortSignal | undefined },
): FetchError {
  if (e instanceof FetchError) return e;
  if (e instanceof TooLargeError) return new FetchError(url, 'too-large', e.message);
  if (deadline.aborted) return new FetchError(url, 'timeout', `no complete answer within ${timeoutMs} ms`);
  if (signal?.aborted) return new FetchError(url, 'aborted', 'request was cancelled');
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e as Error).message;
  return new FetchError(url, 'unreachable', `cannot connect (${why})`);
}

/** A short, secret-free excerpt of an error body for messages. */
export function excerpt(body: Uint8Array, max = 300): string {
  const text = new TextDecoder().decode(body.subarray(0, max * 4));
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
