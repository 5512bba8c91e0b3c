// A LimitedFetch over the WHATWG fetch (Node 20's undici, workerd): a deadline covering the body,
// a streamed size limit, and errors that say what went wrong with which URL.
import { FetchError, type FetchLimits, type FetchedResponse, type LimitedFetch } from '../../ports/fetch.ts';
import { TooLargeError, readResponseCapped } from './read-capped.ts';

export interface LimitedFetchOptions {
  fetch?: typeof globalThis.fetch;
}

export function createLimitedFetch({ fetch = globalThis.fetch }: LimitedFetchOptions = {}): LimitedFetch {
  return async (url: string, limits: FetchLimits): Promise<FetchedResponse> => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FetchError(url, 'bad-url', 'not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new FetchError(url, 'bad-url', `only http and https are fetched, not ${parsed.protocol}`);
    }
    const deadline = AbortSignal.timeout(limits.timeoutMs);
    const signal = limits.signal ? AbortSignal.any([deadline, limits.signal]) : deadline;
    const describe = (e: unknown): FetchError => {
      if (e instanceof TooLargeError) return new FetchError(url, 'too-large', e.message);
      return toFetchError(url, e, { deadline, timeoutMs: limits.timeoutMs, signal: limits.signal });
    };
    try {
      const response = await fetch(url, {
        signal,
        redirect: 'follow',
        headers: limits.headers ?? {},
      });
      const body = await readResponseCapped(response, limits.maxBytes);
      return { url: response.url || url, status: response.status, headers: response.headers, body };
    } catch (e) {
      throw describe(e);
    }
  };
}

/**
 * What a failed fetch means, as a FetchError naming the URL: the deadline passed, the caller
 * cancelled, or the connection failed (with the system's reason). A FetchError passes through.
 */
export function toFetchError(
  url: string,
  e: unknown,
  { deadline, timeoutMs, signal }: { deadline: AbortSignal; timeoutMs: number; signal?: AbortSignal | undefined },
): FetchError {
  if (e instanceof FetchError) return e;
  if (deadline.aborted) return new FetchError(url, 'timeout', `no complete answer within ${timeoutMs} ms`);
  if (signal?.aborted) return new FetchError(url, 'aborted', 'request was cancelled');
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e as Error).message;
  return new FetchError(url, 'unreachable', `cannot connect (${why})`);
}

/** Throws FetchError unless the status is 2xx. */
export function requireOk(res: FetchedResponse): FetchedResponse {
  if (res.status < 200 || res.status > 299) {
    throw new FetchError(res.url, 'http-status', `HTTP ${res.status}`, res.status);
  }
  return res;
}
