// A LimitedFetch over the WHATWG fetch (Node 20's undici, workerd): a deadline covering the body,
// a streamed size limit, and errors that say what went wrong with which URL.
import { FetchError, type FetchLimits, type FetchedResponse, type LimitedFetch } from '../../ports/fetch.ts';

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
      if (e instanceof FetchError) return e;
      if (deadline.aborted) return new FetchError(url, 'timeout', `no complete answer within ${limits.timeoutMs} ms`);
      if (limits.signal?.aborted) return new FetchError(url, 'aborted', 'request was cancelled');
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      return new FetchError(url, 'unreachable', `cannot connect (${why})`);
    };
    let response: Response;
    try {
      response = await fetch(url, {
        signal,
        redirect: 'follow',
        headers: limits.headers ?? {},
      });
    } catch (e) {
      throw describe(e);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new FetchError(url, 'too-large', `body of ${declared} bytes is over the limit of ${limits.maxBytes}`);
    }
    try {
      const body = await readCapped(response, limits.maxBytes, url);
      return { url: response.url || url, status: response.status, headers: response.headers, body };
    } catch (e) {
      throw describe(e);
    }
  };
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
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
      throw new FetchError(url, 'too-large', `body is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Throws FetchError unless the status is 2xx. */
export function requireOk(res: FetchedResponse): FetchedResponse {
  if (res.status < 200 || res.status > 299) {
    throw new FetchError(res.url, 'http-status', `HTTP ${res.status}`, res.status);
  }
  return res;
}
