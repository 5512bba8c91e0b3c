// The IPFS Pinning Service API (https://ipfs.github.io/pinning-services-api-spec/): ask a service
// to pin a CID (POST /pins), then poll the request (GET /pins/{requestid}) until it is "pinned",
// "failed", or the deadline passes. The access token is read from the environment variable named
// in the config at each call and never stored.
import type { CID } from 'multiformats/cid';
import { IpfsServiceError, type Pinner, type PinReceipt, type PinRequest } from '../../ports/ipfs.ts';
import { isRecord } from '../../core/is-record.ts';
import { requestJson } from './json-request.ts';

export interface PinningServiceOptions {
  /** Name in messages and reports. */
  name: string;
  /** API base, e.g. https://api.pinata.cloud/psa (POST <endpoint>/pins). */
  endpoint: string;
  /** Name of the environment variable holding the access token. */
  tokenEnv: string;
  env: Record<string, string | undefined>;
  /** Multiaddrs of nodes that hold the blocks (passed as `origins`). */
  origins?: string[];
  fetch?: typeof globalThis.fetch;
  /** Deadline per HTTP call (default 30 s) and answer size limit (default 1 MiB). */
  timeoutMs?: number;
  maxBytes?: number;
  /** Time between polls (default 5 s) and the overall deadline for "pinned" (default 15 min). */
  pollIntervalMs?: number;
  deadlineMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type PinStatusValue = 'queued' | 'pinning' | 'pinned' | 'failed';

interface PinStatus {
  requestid: string;
  status: PinStatusValue;
  cid: string;
}

function toPinStatus(service: string, json: unknown): PinStatus {
  if (
    isRecord(json) &&
    typeof json.requestid === 'string' &&
    json.requestid !== '' &&
    (json.status === 'queued' || json.status === 'pinning' || json.status === 'pinned' || json.status === 'failed') &&
    isRecord(json.pin) &&
    typeof json.pin.cid === 'string'
  ) {
    return { requestid: json.requestid, status: json.status, cid: json.pin.cid };
  }
  throw new IpfsServiceError(service, 'bad-response', 'answer is not a PinStatus (requestid, status, pin.cid)');
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done, fail) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      fail(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    });
  });

export function createPinningServicePinner(options: PinningServiceOptions): Pinner {
  const {
    name,
    endpoint,
    tokenEnv,
    env,
    origins,
    fetch = globalThis.fetch,
    timeoutMs = 30_000,
    maxBytes = 1024 * 1024,
    pollIntervalMs = 5_000,
    deadlineMs = 15 * 60_000,
    now = Date.now,
    sleep = defaultSleep,
  } = options;
  const base = endpoint.replace(/\/+$/, '');
  const service = `pinning service ${name}`;

  return {
    name: service,
    async pin({ root, name: pinName, signal }: PinRequest): Promise<PinReceipt> {
      const token = env[tokenEnv];
      if (token === undefined || token === '')
        throw new IpfsServiceError(service, 'refused', `set the environment variable ${tokenEnv} to its access token`);
      const headers = { authorization: `Bearer ${token}` };
      const limits = { headers, timeoutMs, maxBytes, fetch, ...(signal ? { signal } : {}) };
      const started = now();
      const created = await requestJson(service, `${base}/pins`, {
        ...limits,
        method: 'POST',
        body: { cid: root.toString(), name: pinName, ...(origins && origins.length > 0 ? { origins } : {}) },
      });
      let status = toPinStatus(service, created.json);
      checkCid(service, status, root);
      for (;;) {
        if (status.status === 'pinned') {
          return { pinner: service, cid: root.toString(), detail: `request ${status.requestid} pinned` };
        }
        if (status.status === 'failed')
          throw new IpfsServiceError(service, 'not-pinned', `request ${status.requestid} for ${root.toString()} failed`);
        if (now() - started + pollIntervalMs > deadlineMs) {
          throw new IpfsServiceError(
            service,
            'timeout',
            `request ${status.requestid} still '${status.status}' after ${Math.round((now() - started) / 1000)} s (deadline ${deadlineMs / 1000} s)`,
          );
        }
        await sleep(pollIntervalMs, signal);
        const polled = await requestJson(service, `${base}/pins/${encodeURIComponent(status.requestid)}`, limits);
        status = toPinStatus(service, polled.json);
        checkCid(service, status, root);
      }
    },
  };
}

function checkCid(service: string, status: PinStatus, root: CID): void {
  if (status.cid !== root.toString() && status.cid !== root.toV1().toString()) {
    throw new IpfsServiceError(service, 'bad-response', `request ${status.requestid} is for ${status.cid}, not ${root.toString()}`);
  }
}
