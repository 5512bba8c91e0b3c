// What core and the runtimes need to fetch something from the network: a deadline and a size
// limit on every call, and errors that name the URL and the problem.

export interface FetchLimits {
  /** Whole-request deadline (connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Aborts the request early (a hedged request that lost, a job that was cancelled). */
  signal?: AbortSignal;
}

export interface FetchedResponse {
  url: string;
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export type LimitedFetch = (url: string, limits: FetchLimits) => Promise<FetchedResponse>;

export type FetchProblem = 'unreachable' | 'timeout' | 'too-large' | 'http-status' | 'aborted' | 'bad-url' | 'redirect';

export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    readonly url: string,
    readonly problem: FetchProblem,
    /** What went wrong, without the URL (for messages that name the service instead). */
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`${url}: ${detail}`);
  }
}
