// A fetch for what the origin decides (feed pages, images) that never connects to the machine's
// own network through a host *name*: every name is resolved here and refused when any of its
// addresses is loopback, private or link-local (DNS pointing at 127.0.0.1 or at the cloud metadata
// address). IP literals are left to the limited fetch's URL checks. When the configured source is
// itself local (a test origin on loopback, a folder), local addresses are allowed.
import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { isLocalHost } from '../web/limited-fetch.ts';

export interface GuardedFetchOptions {
  /** Connect to local addresses too. */
  allowLocal?: boolean;
}

/** Whether an address (as DNS gives it) is the machine's own network. */
export function isLocalAddress(address: string, family: number): boolean {
  return isLocalHost(family === 6 ? `[${address}]` : address);
}

export function createGuardedFetch({ allowLocal = false }: GuardedFetchOptions = {}): typeof globalThis.fetch {
  if (allowLocal) return globalThis.fetch;
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) return callback(error, '', 0);
      const local = addresses.find((a) => isLocalAddress(a.address, a.family));
      if (local !== undefined) {
        // No error code: the fetch error then shows this message.
        return callback(new Error(`${hostname} resolves to a local address (${local.address}); refusing to connect`), '', 0);
      }
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
  const dispatcher = new Agent({ connect: { lookup: guardedLookup } });
  const guarded = (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> =>
    undiciFetch(input instanceof Request ? input.url : input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
  return guarded;
}
