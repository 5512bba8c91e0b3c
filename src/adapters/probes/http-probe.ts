// The HTTP layer of a probe: one GET of the target's address through undici, connected to the
// address the DNS layer chose (so the probe measures that address, not whatever the system
// resolves next), with a deadline, a size cap and the time to the first byte and to the last.
// Redirects on the same host are followed; one to another host is not, and is evidence. Slow is
// `degraded`, not down. Requests go through the one HTTP helper (src/adapters/web/http-call.ts).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Evidence } from '../../core/health/observation.ts';
import { FetchError } from '../../ports/fetch.ts';
import { createHttpCall, type HttpCall, type HttpResponse } from '../web/http-call.ts';

export interface PinnedHttp {
  /** Requests to the pinned host connect to the pinned address; first-byte times are recorded. */
  http: HttpCall;
  /** Milliseconds to the response headers of the last request made. */
  lastFirstByteMs(): number | undefined;
  close(): Promise<void>;
}

export interface PinnedHttpOptions {
  /** The host whose connections go to `address` (others resolve as usual). */
  host?: string;
  address?: string;
  /** Trusted CAs (PEM) instead of Node's bundled ones. */
  ca?: string | string[] | undefined;
  connectTimeoutMs: number;
}

/** An HttpCall over an undici Agent of its own, pinned to one address; close() it after the probe. */
export function createPinnedHttp({ host, address, ca, connectTimeoutMs }: PinnedHttpOptions): PinnedHttp {
  const pinned: LookupFunction = (hostname, options, callback) => {
    if (address !== undefined && host !== undefined && hostname.toLowerCase() === host.toLowerCase()) {
      const family = address.includes(':') ? 6 : 4;
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [{ address, family }]);
      return callback(null, address, family);
    }
    dnsLookup(hostname, options, callback);
  };
  const dispatcher = new Agent({
    connect: { lookup: pinned, timeout: connectTimeoutMs, ...(ca === undefined ? {} : { ca }) },
    // The whole-request deadline is http-call's; these only stop undici's own longer defaults.
    keepAliveTimeout: 1_000,
  });
  let firstByteMs: number | undefined;
  const fetch = async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
    const started = Date.now();
    const url = input instanceof Request ? input.url : input;
    const res = (await undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as Response;
    firstByteMs = Date.now() - started;
    return res;
  };
  return {
    http: createHttpCall({ fetch }),
    lastFirstByteMs: () => firstByteMs,
    close: () => dispatcher.destroy(),
  };
}

export interface HttpProbeOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Slower than this is `degraded` (default 5000 ms). */
  slowMs: number;
  /** Same-host redirects followed (default 5). */
  maxRedirects?: number;
  signal?: AbortSignal | undefined;
}

export interface HttpOutcome {
  evidence: Evidence[];
  /** The answer, when there was one (any status). */
  response?: HttpResponse;
  /** A redirect to another host that was not followed. */
  offsiteRedirect?: string;
  firstByteMs?: number;
  totalMs: number;
}

class OffsiteRedirect extends FetchError {}

export async function probeHttp(url: string, pinned: PinnedHttp, opts: HttpProbeOptions): Promise<HttpOutcome> {
  const started = Date.now();
  const origin = new URL(url);
  let offsite: string | undefined;
  try {
    const response = await pinned.http(url, {
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      signal: opts.signal,
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-encoding': 'identity' },
      redirects: {
        max: opts.maxRedirects ?? 5,
        check: (next) => {
          if (next.host.toLowerCase() !== origin.host.toLowerCase()) {
            offsite = next.href;
            throw new OffsiteRedirect(url, 'redirect', `redirects to another host (${next.href})`);
          }
        },
      },
    });
    const totalMs = Date.now() - started;
    const firstByteMs = pinned.lastFirstByteMs();
    const facts = {
      status: response.status,
      ms: totalMs,
      bytes: response.body.length,
      ...(firstByteMs === undefined ? {} : { firstByteMs }),
    };
    const evidence: Evidence[] = [];
    if (response.status >= 200 && response.status <= 299) {
      if (totalMs > opts.slowMs) {
        evidence.push({
          layer: 'http',
          code: 'http-slow',
          message: `${url} answered in ${totalMs} ms (slow: over ${opts.slowMs} ms)`,
          points: 'degraded',
          facts,
        });
      } else {
        evidence.push({
          layer: 'http',
          code: 'http-ok',
          message: `${url} answered HTTP ${response.status} in ${totalMs} ms`,
          points: 'healthy',
          facts,
        });
      }
    } else if (response.status === 451) {
      evidence.push({
        layer: 'http',
        code: 'http-451',
        message: `${url} answered HTTP 451 (unavailable for legal reasons)`,
        points: 'blocked',
        facts,
      });
    } else {
      evidence.push({
        layer: 'http',
        code: response.status >= 500 ? 'http-error' : 'http-status',
        message: `${url} answered HTTP ${response.status}`,
        points: 'unreachable',
        facts,
      });
    }
    return { evidence, response, totalMs, ...(firstByteMs === undefined ? {} : { firstByteMs }) };
  } catch (e) {
    const totalMs = Date.now() - started;
    if (!(e instanceof FetchError)) throw e;
    if (e instanceof OffsiteRedirect || (offsite !== undefined && e.problem === 'redirect')) {
      return {
        evidence: [
          {
            layer: 'http',
            code: 'http-redirect-offsite',
            message: `${url} redirects to another host, ${offsite ?? '?'}: readers are sent away from the mirror`,
            points: 'blocked',
            facts: { location: offsite ?? '', ms: totalMs },
          },
        ],
        ...(offsite === undefined ? {} : { offsiteRedirect: offsite }),
        totalMs,
      };
    }
    const code =
      e.problem === 'timeout'
        ? 'http-timeout'
        : e.problem === 'too-large'
          ? 'http-too-large'
          : e.problem === 'redirect'
            ? 'http-redirects'
            : 'http-failed';
    return {
      evidence: [
        {
          layer: 'http',
          code,
          message: `${url}: ${e.detail}`,
          points: code === 'http-too-large' ? 'degraded' : 'unreachable',
          facts: { ms: totalMs, problem: e.problem },
        },
      ],
      totalMs,
    };
  }
}
