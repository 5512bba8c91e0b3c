// The dashboard in the Worker: the same sign-in and pages as on `ferry serve`, from what the
// Worker knows itself: its Cron Trigger's probes (KV health/worker/<id>), its own pool's view of
// each mirror, the manifest it accepted, and the maintainers' pauses (KV). The actions that make
// sense at the edge are pause and resume (the edge stops asking a paused mirror); publishing,
// approving and moving the canonical need the signing key, which never lives at the edge.
import type { Hono } from 'hono';
import { withAction } from '../core/maintainer-state.ts';
import { parseMirrorsConfig, validateMirrorsConfig, mirrorUrl } from '../core/mirrors-config.ts';
import type { Verdict } from '../core/health/observation.ts';
import { createKvMaintainerStore } from '../adapters/dashboard/kv-maintainer-store.ts';
import { createKvSessionStore } from '../adapters/dashboard/kv-session-store.ts';
import { createDashboard, createPublicStatus } from '../edge/dashboard/app.ts';
import type { DashboardBackend, DashboardView, TargetView } from '../ports/dashboard.ts';
import type { MirrorStatus } from '../edge/mirror-pool.ts';
import type { SnapshotReader } from '../edge/snapshot-reader.ts';
import { readWorkerHealth } from './health-cron.ts';

export interface WorkerDashboardEnv {
  FERRY_KV: KVNamespace;
  FERRY_MIRRORS: unknown;
  /** A Worker secret (`wrangler secret put FERRY_ADMIN_TOKEN`): at least 32 characters. */
  FERRY_ADMIN_TOKEN?: string;
}

export interface WorkerDashboardDeps {
  pool: { status(): MirrorStatus[] };
  reader: Pick<SnapshotReader, 'current'>;
  /** Tell the edge to stop asking a mirror, or to ask it again. */
  exclude?: (id: string, reason: string) => Promise<void> | void;
  include?: (id: string) => Promise<void> | void;
}

const POOL_VERDICT: Record<string, Verdict> = {
  healthy: 'healthy',
  degraded: 'degraded',
  unreachable: 'unreachable',
  compromised: 'compromised',
};

export function createWorkerDashboardBackend(env: WorkerDashboardEnv, deps: WorkerDashboardDeps): DashboardBackend {
  const maintainer = createKvMaintainerStore(env.FERRY_KV);
  const kinds = ['http', 'ipfs-gateway', 'kv'];
  const mirrors =
    typeof env.FERRY_MIRRORS === 'string'
      ? parseMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds)
      : validateMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds);
  const ids = new Set(mirrors.map((m) => m.id));

  const view = async (): Promise<DashboardView> => {
    const [health, m] = await Promise.all([readWorkerHealth(env.FERRY_KV), maintainer.load()]);
    const pool = new Map(deps.pool.status().map((s) => [s.id, s]));
    const accepted = deps.reader.current();
    const targets: TargetView[] = mirrors.map((mirror) => {
      const results = [...(health.find((h) => h.mirror === mirror.id)?.results ?? [])].sort((a, b) => a.at.localeCompare(b.at));
      const last = results[results.length - 1];
      const seen = pool.get(mirror.id);
      const url = mirrorUrl(mirror);
      return {
        id: mirror.id,
        ...(url === undefined ? {} : { url }),
        // The cron's probe, when there is one; else what the edge's own requests saw.
        state: last?.verdict ?? POOL_VERDICT[seen?.state ?? 'unreachable'] ?? 'unreachable',
        since: last?.at ?? '',
        evidence:
          last?.evidence.filter((e) => e.points !== 'healthy') ??
          (seen?.lastError == null ? [] : [{ layer: 'http', code: 'edge-request', message: seen.lastError, points: 'degraded' }]),
        vantages: last === undefined ? [] : [{ vantage: last.vantage, verdict: last.verdict, at: last.at, evidence: last.evidence }],
        latencies: results.flatMap((r) => (r.timings?.totalMs === undefined ? [] : [r.timings.totalMs])),
        paused: m.paused[mirror.id] !== undefined,
      };
    });
    const canonical = accepted === undefined ? undefined : mirrors.find((x) => mirrorUrl(x) === accepted.manifest.canonical);
    return {
      mirrors: targets,
      ...(accepted === undefined
        ? {}
        : {
            canonical: {
              ...(canonical === undefined ? {} : { id: canonical.id }),
              url: accepted.manifest.canonical,
              since: accepted.manifest.created,
              reason: `the signed manifest (version ${accepted.manifest.version}) names it`,
            },
          }),
      publishes:
        accepted === undefined
          ? []
          : [
              {
                id: `v${accepted.manifest.version}`,
                trigger: 'signed',
                started: accepted.manifest.created,
                outcome: 'ok',
                version: accepted.manifest.version,
                targets: [],
              },
            ],
      held: [],
      alerts: [],
      actions: [...m.actions].reverse().slice(0, 20),
    };
  };

  return {
    actions: ['pause', 'resume'],
    view,
    act: async (action, who) => {
      if ((action.kind !== 'pause' && action.kind !== 'resume') || !ids.has(action.mirror)) {
        return { ok: false, message: 'mirror' in action ? `No mirror ${action.mirror}.` : 'Not possible at the edge.' };
      }
      const at = new Date().toISOString();
      const message = action.kind === 'pause' ? `Paused ${action.mirror}: this edge no longer asks it.` : `Resumed ${action.mirror}.`;
      await maintainer.update((s) => {
        const paused = { ...s.paused };
        if (action.kind === 'pause') paused[action.mirror] = { who, at };
        else delete paused[action.mirror];
        return withAction({ ...s, paused }, { at, who, action: `${action.kind} ${action.mirror}`, result: message });
      });
      if (action.kind === 'pause') await deps.exclude?.(action.mirror, `paused by ${who}`);
      else await deps.include?.(action.mirror);
      return { ok: true, message };
    },
  };
}

/** The dashboard (with FERRY_ADMIN_TOKEN) or the public status alone, to mount at /_ferry. */
export function workerDashboard(env: WorkerDashboardEnv, deps: WorkerDashboardDeps): Hono {
  const backend = createWorkerDashboardBackend(env, deps);
  if (env.FERRY_ADMIN_TOKEN === undefined || env.FERRY_ADMIN_TOKEN === '') return createPublicStatus({ backend });
  return createDashboard({
    backend,
    token: env.FERRY_ADMIN_TOKEN,
    sessions: createKvSessionStore(env.FERRY_KV),
    clientOf: (c) => c.req.header('cf-connecting-ip') ?? 'unknown',
  });
}
