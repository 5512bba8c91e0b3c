// A Kubo node over its RPC API (kubo-rpc-client): import the CAR (dag/import), pin the root
// (pin/add) and confirm the pin (pin/ls); and an IPNS pointer (name/publish).
//
// Limits: every call carries an AbortSignal.timeout (and the client's own timeout). The client
// reads responses without a size cap, so Ferry only calls commands with small, bounded answers
// (one CID each) and stops reading a streamed answer after a few lines.
//
// kubo-rpc-client is loaded on the first call, not at start-up: it takes about 0.6 s to import,
// which every `ferry publish` and `ferry serve` paid whether or not a Kubo node was configured.
import type { KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import { IpfsServiceError, type Pinner, type PinReceipt, type PinRequest, type Pointer, type PointerMove } from '../../ports/ipfs.ts';

export interface KuboOptions {
  /** RPC address, e.g. http://127.0.0.1:5001 */
  url: string;
  /** Name in messages (default `kubo <url>`). */
  name?: string;
  /** Deadline per RPC call (default 60 s; the CAR upload gets `uploadTimeoutMs`). */
  timeoutMs?: number;
  /** Deadline for dag/import (default 10 min). */
  uploadTimeoutMs?: number;
  /** Headers for every call (e.g. Authorization for a node behind a proxy). */
  headers?: Record<string, string>;
  /** A client built elsewhere (tests, a shared connection). */
  client?: KuboRPCClient;
}

const MAX_LINES = 16;

function describeKuboError(service: string, e: unknown, deadline: AbortSignal): IpfsServiceError {
  if (e instanceof IpfsServiceError) return e;
  if (deadline.aborted) return new IpfsServiceError(service, 'timeout', 'no answer before the deadline');
  const message = e instanceof Error ? e.message : String(e);
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|ECONNRESET/.test(message))
    return new IpfsServiceError(service, 'unreachable', `cannot connect (${message})`);
  return new IpfsServiceError(service, 'http-status', message);
}

function clientFor(options: KuboOptions): {
  client: () => Promise<KuboRPCClient>;
  service: string;
  timeoutMs: number;
  uploadTimeoutMs: number;
} {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const uploadTimeoutMs = options.uploadTimeoutMs ?? 600_000;
  let made: Promise<KuboRPCClient> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  const client = (): Promise<KuboRPCClient> =>
    (made ??= import('kubo-rpc-client').then(({ create }) =>
      create({ url: options.url, timeout: Math.max(timeoutMs, uploadTimeoutMs), ...(options.headers ? { headers: options.headers } : {}) }),
    ));
  return { client, service: options.name ?? `kubo ${options.url}`, timeoutMs, uploadTimeoutMs };
}

async function call<T>(
  service: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([deadline, outer]) : deadline;
  try {
    return await run(signal);
  } catch (e) {
    throw describeKuboError(service, e, deadline);
  }
}

/** Imports the CAR, pins its root recursively and resolves only when pin/ls lists the pin. */
export function createKuboPinner(options: KuboOptions): Pinner {
  const { client, service, timeoutMs, uploadTimeoutMs } = clientFor(options);
  return {
    name: service,
    async pin({ root, car, name, signal }: PinRequest): Promise<PinReceipt> {
      const want = root.toString();
      const kubo = await client();
      await call(service, uploadTimeoutMs, signal, async (s) => {
        let lines = 0;
        // pin-roots=false: pinning is its own step below, with a name, and confirmed by pin/ls.
        for await (const _ of kubo.dag.import(car(), { pinRoots: false, signal: s })) {
          if (++lines > MAX_LINES) break;
        }
      });
      const pinned = await call(service, timeoutMs, signal, async (s) => {
        const out: string[] = [];
        for await (const cid of kubo.pin.addAll([{ cid: root, recursive: true, name }], { signal: s })) {
          out.push(cid.toString());
          if (out.length > MAX_LINES) break;
        }
        return out;
      });
      if (!pinned.some((c) => sameCid(c, root))) {
        throw new IpfsServiceError(service, 'not-pinned', `pin/add answered ${JSON.stringify(pinned)}, not ${want}`);
      }
      const listed = await call(service, timeoutMs, signal, async (s) => {
        const out: Array<{ cid: string; type: string }> = [];
        for await (const pin of kubo.pin.ls({ paths: [root], type: 'recursive', signal: s })) {
          out.push({ cid: pin.cid.toString(), type: pin.type });
          if (out.length > MAX_LINES) break;
        }
        return out;
      });
      if (!listed.some((p) => sameCid(p.cid, root) && p.type === 'recursive')) {
        throw new IpfsServiceError(service, 'not-pinned', `pin/ls does not list ${want} as a recursive pin`);
      }
      return { pinner: service, cid: want, detail: 'recursive pin confirmed by pin/ls' };
    },
  };
}

export interface KuboIpnsOptions extends KuboOptions {
  /** Name of the key in Kubo's keystore (`ipfs key list`); default 'self'. */
  key?: string;
  /** Record lifetime, Kubo duration syntax (default '48h'). */
  lifetime?: string;
}

/** Publishes /ipfs/<root> under a Kubo key (name/publish). */
export function createKuboIpnsPointer(options: KuboIpnsOptions): Pointer {
  const { client, service, timeoutMs } = clientFor(options);
  const key = options.key ?? 'self';
  const lifetime = options.lifetime ?? '48h';
  const name = `ipns ${key} (${service})`;
  return {
    name,
    async point(root: CID, { signal } = {}): Promise<PointerMove> {
      const value = `/ipfs/${root.toString()}`;
      const kubo = await client();
      const result = await call(name, timeoutMs, signal, (s) => kubo.name.publish(value, { key, lifetime, signal: s }));
      if (result.value !== value) {
        throw new IpfsServiceError(name, 'bad-response', `name/publish answered ${JSON.stringify(result.value)}, not ${value}`);
      }
      return { pointer: name, value: `/ipns/${result.name} -> ${value}` };
    },
  };
}

function sameCid(text: string, cid: CID): boolean {
  return text === cid.toString() || text === cid.toV1().toString();
}
