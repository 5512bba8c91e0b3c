// The Worker as a vantage point: on its Cron Trigger it probes every mirror of FERRY_MIRRORS that
// has an address (an http mirror at its URL, an IPFS gateway mirror at its /ipfs/<cid>/ path) with
// the fetch-only prober — HTTP status, redirects, timing, the signed manifest and a rotating sample
// of files, verified with the edge's own key and core functions — and keeps each mirror's newest
// results in KV (health/worker/<mirror id>, at most WORKER_HEALTH_KEEP, expiring after a week).
// The health checker reads them back through GET /_ferry/health/worker (bearer FERRY_HEALTH_TOKEN)
// and counts them as the vantage point `worker`. KV values are parsed from unknown, never cast.
import { sha256Hex } from '../core/bytes.ts';
import { parseProbeResult } from '../core/health/health-codec.ts';
import type { ProbeResult, Vantage } from '../core/health/observation.ts';
import { decodeKey, parseManifest, verifySignatureText } from '../core/manifest.ts';
import { MIRROR_KINDS, parseMirrorsConfig, validateMirrorsConfig, type MirrorConfig } from '../core/mirrors-config.ts';
import { isRecord } from '../core/is-record.ts';
import { createKvEdgeState } from '../adapters/edge-state/kv-edge-state.ts';
import { createFetchProber } from '../adapters/probes/fetch-prober.ts';
import type { HttpCall } from '../adapters/web/http-call.ts';
import type { ProbeTarget, Prober } from '../ports/prober.ts';

export const WORKER_VANTAGE: Vantage = { id: 'worker', kind: 'worker' };
export const WORKER_HEALTH_PREFIX = 'health/worker/';
/** When the cron last ran and what it did (outside the per-mirror prefix). */
export const WORKER_HEALTH_RUN_KEY = 'health/worker-run';
/** Results kept per mirror, newest first. */
export const WORKER_HEALTH_KEEP = 12;
const TTL_SECONDS = 7 * 86_400;
/** The cron's slot length (wrangler.toml's "*\/5 * * * *"): the rotating sample moves one step per slot. */
const SLOT_MS = 300_000;

/** What of the Worker's env this needs (FerryEnv has it all). */
export interface HealthCronEnv {
  FERRY_KV: KVNamespace;
  FERRY_MIRRORS: unknown;
  FERRY_PUBLIC_KEY: string;
  /** Bearer token for GET /_ferry/health/worker; unset, the route is off. */
  FERRY_HEALTH_TOKEN?: string;
}

export interface HealthCronOptions {
  /** Overrides the default fetch prober (built with the env's key, `http` and `now`). */
  prober?: Prober;
  http?: HttpCall;
  now?: () => Date;
  /** The cron's scheduled time (ms); drives the rotating sample. */
  scheduledTime?: number;
  /** Mirrors probed at once (default 4: workerd allows 6 connections at a time). */
  concurrency?: number;
  timeoutMs?: number;
}

export interface HealthCronRun {
  at: string;
  probed: string[];
  /** Mirrors without an address of their own (kv): nothing to probe from here. */
  skipped: string[];
}

const WORKER_KINDS = Object.keys(MIRROR_KINDS).filter((k) => k !== 'directory');

function mirrorsOf(env: HealthCronEnv): MirrorConfig[] {
  return typeof env.FERRY_MIRRORS === 'string'
    ? parseMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', WORKER_KINDS)
    : validateMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', WORKER_KINDS);
}

/** The address readers open for a mirror (as src/node/health-targets.ts does), if it has one. */
function probeUrl(m: MirrorConfig): string | undefined {
  if (!('url' in m)) return undefined;
  if ('cid' in m) return `${m.url}ipfs/${m.cid}/`;
  return m.url;
}

/** How long a mirror may lag behind a new manifest before serving the older one counts as a rollback. */
export const PUBLISH_GRACE_MS = 3_600_000;

/**
 * The version the edge accepted (its KV state), re-verified, as the floor for a rollback — once
 * it is older than the grace period, so a mirror still catching up with a new publish is not
 * called compromised.
 */
async function rollbackFloor(kv: KVNamespace, publicKey: Uint8Array, now: Date): Promise<number | undefined> {
  const stored = await createKvEdgeState(kv).loadManifest();
  if (stored === undefined) return undefined;
  try {
    if (!verifySignatureText(stored.manifest, stored.signature, publicKey)) return undefined;
    const manifest = parseManifest(new TextDecoder().decode(stored.manifest));
    return now.getTime() - Date.parse(manifest.created) >= PUBLISH_GRACE_MS ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

/** One cron run: probe every mirror with an address and store the results. */
export async function runHealthCron(env: HealthCronEnv, options: HealthCronOptions = {}): Promise<HealthCronRun> {
  const now = options.now ?? (() => new Date());
  const mirrors = mirrorsOf(env);
  const publicKey = decodeKey(env.FERRY_PUBLIC_KEY, 'public', 'FERRY_PUBLIC_KEY');
  const minVersion = await rollbackFloor(env.FERRY_KV, publicKey, now());
  const prober =
    options.prober ??
    createFetchProber({
      publicKey,
      now,
      ...(options.http === undefined ? {} : { http: options.http }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      minVersion: () => minVersion,
    });
  const round = Math.floor((options.scheduledTime ?? now().getTime()) / SLOT_MS);
  const targets: ProbeTarget[] = [];
  const skipped: string[] = [];
  for (const m of mirrors) {
    const url = probeUrl(m);
    if (url === undefined) skipped.push(m.id);
    else targets.push({ id: m.id, url, role: 'mirror' });
  }
  const at = now().toISOString();
  await forEachLimit(targets, options.concurrency ?? 4, async (target) => {
    const result = await prober.probe(target, { vantage: WORKER_VANTAGE, round }).catch((e: unknown): ProbeResult => ({
      target: target.id,
      vantage: WORKER_VANTAGE,
      at: now().toISOString(),
      verdict: 'degraded',
      evidence: [
        {
          layer: 'http',
          code: 'probe-failed',
          message: `the probe itself failed: ${e instanceof Error ? e.message : String(e)}`,
          points: 'degraded',
        },
      ],
    }));
    const key = `${WORKER_HEALTH_PREFIX}${target.id}`;
    const previous = parseStored(await env.FERRY_KV.get(key, 'text'), key);
    const results = [result, ...previous].slice(0, WORKER_HEALTH_KEEP);
    await env.FERRY_KV.put(key, JSON.stringify({ mirror: target.id, results }), { expirationTtl: TTL_SECONDS });
  });
  const run: HealthCronRun = { at, probed: targets.map((t) => t.id), skipped };
  await env.FERRY_KV.put(WORKER_HEALTH_RUN_KEY, JSON.stringify(run), { expirationTtl: TTL_SECONDS });
  return run;
}

/** A stored value's results; a value that does not parse is dropped (and overwritten next run). */
function parseStored(text: string | null, key: string): ProbeResult[] {
  if (text === null) return [];
  try {
    const raw: unknown = JSON.parse(text);
    if (!isRecord(raw) || !Array.isArray(raw.results)) return [];
    return raw.results.slice(0, WORKER_HEALTH_KEEP).map((r, i) => parseProbeResult(r, `${key}.results[${i}]`));
  } catch {
    return [];
  }
}

export interface WorkerHealthEntry {
  mirror: string;
  /** Newest first. */
  results: ProbeResult[];
}

/** Every mirror's stored results (newest first), or one mirror's. */
export async function readWorkerHealth(kv: KVNamespace, mirror?: string): Promise<WorkerHealthEntry[]> {
  const keys: string[] = [];
  if (mirror !== undefined) keys.push(`${WORKER_HEALTH_PREFIX}${mirror}`);
  else {
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const list = await kv.list({ prefix: WORKER_HEALTH_PREFIX, ...(cursor === undefined ? {} : { cursor }) });
      keys.push(...list.keys.map((k) => k.name));
      if (list.list_complete) break;
      cursor = list.cursor;
    }
  }
  const out: WorkerHealthEntry[] = [];
  for (const key of keys.sort()) {
    const results = parseStored(await kv.get(key, 'text'), key);
    if (results.length > 0) out.push({ mirror: key.slice(WORKER_HEALTH_PREFIX.length), results });
  }
  return out;
}

export const WORKER_HEALTH_ROUTE = '/_ferry/health/worker';

/**
 * GET /_ferry/health/worker[?mirror=id]: the stored results as JSON, for the health checker.
 * Undefined for any other path. Needs `Authorization: Bearer <FERRY_HEALTH_TOKEN>`; without the
 * token set, the route says how to turn it on. Never cached, no CORS (an admin route).
 */
export async function workerHealthResponse(request: Request, env: HealthCronEnv): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.pathname !== WORKER_HEALTH_ROUTE) return undefined;
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  if (request.method !== 'GET') return json(405, { error: 'use GET' });
  const token = env.FERRY_HEALTH_TOKEN;
  if (token === undefined || token === '') {
    return json(404, {
      error: 'the Worker health route is off; set the FERRY_HEALTH_TOKEN secret (npx wrangler secret put FERRY_HEALTH_TOKEN) to turn it on',
    });
  }
  const given = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1] ?? '';
  if (!sameSecret(given, token)) return json(401, { error: 'send Authorization: Bearer <FERRY_HEALTH_TOKEN>' });
  const mirror = url.searchParams.get('mirror') ?? undefined;
  const [entries, runText] = await Promise.all([readWorkerHealth(env.FERRY_KV, mirror), env.FERRY_KV.get(WORKER_HEALTH_RUN_KEY, 'text')]);
  let lastRun: unknown = null;
  try {
    const raw: unknown = runText === null ? null : JSON.parse(runText);
    if (isRecord(raw) && typeof raw.at === 'string') lastRun = { at: raw.at };
  } catch {
    lastRun = null;
  }
  return json(200, { vantage: WORKER_VANTAGE, lastRun, mirrors: entries });
}

/** Constant-time comparison of two secrets (their digests, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const x = sha256Hex(a);
  const y = sha256Hex(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = items[next++];
      if (item === undefined) return;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
