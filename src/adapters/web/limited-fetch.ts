// A LimitedFetch over the WHATWG fetch (Node 20's undici, workerd), made with the one HTTP helper
// (http-call.ts: a deadline covering the body and every redirect, a streamed size limit, errors
// that say what went wrong with which URL). Redirects are followed one checked hop at a time:
// http(s) only, at most `maxRedirects`, and never from a public host to a loopback, private or
// link-local address (a compromised origin or image host must not make Ferry fetch from the
// machine's own network).
import { FetchError, type FetchLimits, type FetchedResponse, type LimitedFetch } from '../../ports/fetch.ts';
import { createHttpCall } from './http-call.ts';

export interface LimitedFetchOptions {
  fetch?: typeof globalThis.fetch;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  /**
   * Whether requests may go to local addresses (see isLocalHost). Default: a request may if it
   * starts at one (a mirror or origin the maintainers put there), and may not be redirected into
   * one otherwise. false: never, not even the first URL (what an untrusted origin names).
   */
  allowLocal?: boolean;
}

export function createLimitedFetch({ fetch = globalThis.fetch, maxRedirects = 5, allowLocal }: LimitedFetchOptions = {}): LimitedFetch {
  const http = createHttpCall({ fetch });
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
    // Where a request may be sent: anywhere public; local addresses only if allowed (by default:
    // if it started at one).
    const localAllowed = allowLocal ?? isLocalHost(parsed.hostname);
    if (!localAllowed && isLocalHost(parsed.hostname)) {
      throw new FetchError(url, 'bad-url', `${parsed.host} is a local address; refusing to fetch it`);
    }
    const {
      url: at,
      status,
      headers,
      body,
    } = await http(url, {
      headers: limits.headers ?? {},
      timeoutMs: limits.timeoutMs,
      maxBytes: limits.maxBytes,
      signal: limits.signal,
      redirects: {
        max: maxRedirects,
        check: (next) => {
          if (!localAllowed && isLocalHost(next.hostname)) {
            throw new FetchError(url, 'redirect', `redirected to a local address (${next.host}); refusing to follow`);
          }
        },
      },
    });
    return { url: at, status, headers, body };
  };
}

/**
 * True for a host name that is the machine itself or its network: localhost, and IP literals in
 * loopback, private (RFC 1918), carrier-grade NAT, link-local (cloud metadata lives there),
 * unspecified, benchmarking, multicast and broadcast ranges, IPv6 unique-local, link-local,
 * site-local and multicast ranges, and IPv4-mapped forms of those. The URL
 * parser has already turned every IPv4 spelling (decimal, hex, short) into dotted form. Names
 * that resolve to such addresses are not caught here (no DNS in this layer).
 */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4 !== null) return isLocalIpv4(v4.slice(1).map(Number));
  if (!host.startsWith('[') || !host.endsWith(']')) return false;
  const v6 = host.slice(1, -1);
  if (v6 === '::1' || v6 === '::') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped !== null) {
    const hi = parseInt(mapped[1] ?? '0', 16);
    const lo = parseInt(mapped[2] ?? '0', 16);
    return isLocalIpv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  const first = parseInt(v6.split(':')[0] || '0', 16);
  // Unique-local fc00::/7, link-local fe80::/10, old site-local fec0::/10, multicast ff00::/8.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xffc0) === 0xfec0 || (first & 0xff00) === 0xff00;
}

function isLocalIpv4([a = 0, b = 0]: number[]): boolean {
  return (
    a === 127 ||
    a === 10 ||
    a === 0 ||
    a >= 224 || // multicast, reserved, broadcast
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 198 && (b === 18 || b === 19)) // benchmarking networks, used inside data centres
  );
}

/** Throws FetchError unless the status is 2xx. */
export function requireOk(res: FetchedResponse): FetchedResponse {
  if (res.status < 200 || res.status > 299) {
    throw new FetchError(res.url, 'http-status', `HTTP ${res.status}`, res.status);
  }
  return res;
}
