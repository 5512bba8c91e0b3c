// A fetch for what the origin decides (feed pages, images) that never connects to the machine's
// own network: an IP literal in a local range is refused, and every host name is resolved here and
// refused when any of its addresses is loopback, private or link-local (DNS pointing at 127.0.0.1
// or at the cloud metadata address). When the configured source is itself local (a test origin on
// loopback, a folder), local addresses are allowed.
import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { isLocalHost } from '../web/limited-fetch.ts';

export interface GuardedFetchOptions {
  /** Connect to local addresses too. */
  allowLocal?: boolean;
  /** Every address of a host name (default: the system resolver, as node:dns lookup). */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

const systemResolve = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((done, fail) => lookup(hostname, { all: true }, (error, addresses) => (error === null ? done(addresses) : fail(error))));

/** Whether an address (as DNS gives it) is the machine's own network. */
export function isLocalAddress(address: string, family: number): boolean {
  return isLocalHost(family === 6 ? `[${address}]` : address);
}

export function createGuardedFetch({ allowLocal = false, resolve = systemResolve }: GuardedFetchOptions = {}): typeof globalThis.fetch {
  if (allowLocal) return globalThis.fetch;
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const addresses = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const local = addresses.find((a) => isLocalAddress(a.address, a.family));
        if (local !== undefined) {
          // No error code: the fetch error then shows this message.
          return callback(new Error(`${hostname} resolves to a local address (${local.address}); refusing to connect`), '', 0);
        }
        const first = addresses[0];
        if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
  const dispatcher = new Agent({ connect: { lookup: guardedLookup } });
  const guarded = async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    // An IP literal is connected to without a lookup: checked here.
    if (isLocalHost(url.hostname))
      throw new TypeError(`fetch failed`, { cause: new Error(`${url.host} is a local address; refusing to connect`) });
    return undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
  };
  return guarded;
}
