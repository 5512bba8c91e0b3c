// The health checker's side of the Worker vantage point: GET <worker>/_ferry/health/worker with
// the bearer token, through the one HTTP helper (deadline, size limit), and the newest stored
// result per mirror, every one parsed from unknown. Results are taken as the Worker's whatever
// they claim (vantage forced to `worker`), and only for targets the checker knows.
import { HealthDataError, parseProbeResult } from '../../core/health/health-codec.ts';
import type { ProbeResult, Vantage } from '../../core/health/observation.ts';
import { isRecord } from '../../core/is-record.ts';
import { ConfigError } from '../../core/config-error.ts';
import { FetchError } from '../../ports/fetch.ts';
import { createHttpCall, excerpt, type HttpCall } from '../web/http-call.ts';

export const WORKER_HEALTH_PATH = '/_ferry/health/worker';
const WORKER: Vantage = { id: 'worker', kind: 'worker' };

export interface WorkerHealthClientOptions {
  /** The Worker's address, e.g. https://blog.example.org/ (the route is added to it). */
  url: string;
  /** FERRY_HEALTH_TOKEN, as set on the Worker. */
  token: string;
  http?: HttpCall;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface WorkerHealthReadout {
  results: ProbeResult[];
  /** What went wrong (no results then), naming the URL. */
  problem?: string;
}

export interface WorkerHealthClient {
  read(knownTargets: ReadonlySet<string>, signal?: AbortSignal): Promise<WorkerHealthReadout>;
}

export function createWorkerHealthClient({
  url,
  token,
  http = createHttpCall(),
  timeoutMs = 15_000,
  maxBytes = 4 * 1024 * 1024,
}: WorkerHealthClientOptions): WorkerHealthClient {
  let endpoint: string;
  try {
    const base = new URL(url);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not http(s)');
    endpoint = new URL(WORKER_HEALTH_PATH, base).href;
  } catch {
    throw new ConfigError(`Worker health: '${url}' is not an http(s) address; use the Worker's, e.g. https://blog.example.org/`);
  }
  if (token === '') throw new ConfigError('Worker health: the token is empty; use the value of the Worker secret FERRY_HEALTH_TOKEN');
  return {
    async read(knownTargets, signal) {
      try {
        const res = await http(endpoint, {
          timeoutMs,
          maxBytes,
          signal,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
        if (res.status !== 200) return { results: [], problem: `${endpoint}: answered HTTP ${res.status}: ${excerpt(res.body, 200)}` };
        let raw: unknown;
        try {
          raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body));
        } catch {
          return { results: [], problem: `${endpoint}: the answer is not JSON (${excerpt(res.body, 80)})` };
        }
        if (!isRecord(raw) || !Array.isArray(raw.mirrors)) return { results: [], problem: `${endpoint}: expected {"mirrors": [...]}` };
        const results: ProbeResult[] = [];
        for (const [i, entry] of raw.mirrors.slice(0, 1000).entries()) {
          if (!isRecord(entry) || !Array.isArray(entry.results) || entry.results.length === 0) continue;
          const newest = parseProbeResult(entry.results[0], `${endpoint} mirrors[${i}].results[0]`);
          if (knownTargets.has(newest.target)) results.push({ ...newest, vantage: WORKER });
        }
        return { results };
      } catch (e) {
        if (e instanceof FetchError || e instanceof HealthDataError) return { results: [], problem: e.message };
        throw e;
      }
    },
  };
}
