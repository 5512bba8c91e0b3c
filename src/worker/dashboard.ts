// The dashboard in the Worker: the same sign-in and pages as on `ferry serve`, showing what
// ferry serve pushed after its last health round (POST /_ferry/health/view, marked with its age)
// with what the Worker knows itself laid over it: its Cron Trigger's probes (KV
// health/worker/<id>), its own pool's view of each mirror, the manifest it accepted, and the
// maintainers' pauses (KV). The actions that make sense at the edge: pause and resume (the edge
// stops asking a paused mirror) and a rotation to a chosen working mirror, recorded in KV as a
// request that ferry serve applies after its next round (it alone holds the signing key);
// publishing, approving and checks run on ferry serve.
import type { Hono } from 'hono';
import { withAction } from '../core/maintainer-state.ts';
import { parseMirrorsConfig, validateMirrorsConfig, mirrorUrl } from '../core/mirrors-config.ts';
import type { Verdict } from '../core/health/observation.ts';
import { createKvEdgeRequestStore } from '../adapters/dashboard/kv-edge-request-store.ts';
import { createKvMaintainerStore } from '../adapters/dashboard/kv-maintainer-store.ts';
import { createKvPushedViewStore } from '../adapters/dashboard/kv-pushed-view-store.ts';
import { createKvSessionStore } from '../adapters/dashboard/kv-session-store.ts';
import { createDashboard, createPublicStatus } from '../edge/dashboard/app.ts';
import { randomToken } from '../edge/dashboard/auth.ts';
import type { DashboardAction, DashboardBackend, DashboardView, TargetView } from '../ports/dashboard.ts';
import type { MirrorStatus } from '../edge/mirror-pool.ts';
import type { SnapshotReader } from '../edge/snapshot-reader.ts';
import { readWorkerHealth } from './health-cron.ts';
import { mergeViews } from './merge-view.ts';

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
  now?: () => Date;
}

const POOL_VERDICT: Record<string, Verdict> = {
  healthy: 'healthy',
  degraded: 'degraded',
  unreachable: 'unreachable',
  compromised: 'compromised',
};

export function createWorkerDashboardBackend(env: WorkerDashboardEnv, deps: WorkerDashboardDeps): DashboardBackend {
  const now = deps.now ?? (() => new Date());
  const maintainer = createKvMaintainerStore(env.FERRY_KV);
  const pushedViews = createKvPushedViewStore(env.FERRY_KV);
  const requests = createKvEdgeRequestStore(env.FERRY_KV);
  const kinds = ['http', 'ipfs-gateway', 'kv'];
  const mirrors =
    typeof env.FERRY_MIRRORS === 'string'
      ? parseMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds)
      : validateMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds);
  const ids = new Set(mirrors.map((m) => m.id));

  const ownView = async (): Promise<DashboardView> => {
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
                trigger: 'accepted by this Worker',
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

  const view = async (): Promise<DashboardView> => {
    const [own, pushed, pending] = await Promise.all([ownView(), pushedViews.load(), requests.pending()]);
    return mergeViews({ own, pushed, requests: pending, now: now() });
  };

  /** A rotation: checked against the picture the page shows, then left in KV for ferry serve. */
  const requestRotation = async (mirror: string, who: string): Promise<{ ok: boolean; message: string }> => {
    const shown = await view();
    const target = shown.mirrors.find((m) => m.id === mirror);
    if (target === undefined || target.url === undefined) return { ok: false, message: `No mirror ${mirror} with an address.` };
    if ((target.state !== 'healthy' && target.state !== 'degraded') || target.paused) {
      return { ok: false, message: `${mirror} is ${target.paused ? 'paused' : target.state}: only a working mirror can be canonical.` };
    }
    if (shown.canonical?.id === mirror) return { ok: false, message: `${mirror} is already the canonical.` };
    const at = now().toISOString();
    await requests.add({ id: randomToken(8), kind: 'rotate', mirror, who, at });
    const message =
      `Asked ferry serve to make ${mirror} the canonical: it applies this after its next health round ` +
      '(only ferry serve holds the signing key; this Worker cannot publish).' +
      (shown.edge?.pushed === undefined ? ' ferry serve has not pushed its view here yet: check health.worker in its config.' : '');
    await maintainer.update((s) => withAction(s, { at, who, action: `rotate ${mirror}`, result: message }));
    return { ok: true, message };
  };

  return {
    actions: ['pause', 'resume', 'rotate'],
    view,
    act: async (action: DashboardAction, who) => {
      if (action.kind === 'rotate') return requestRotation(action.mirror, who);
      if ((action.kind !== 'pause' && action.kind !== 'resume') || !ids.has(action.mirror)) {
        return {
          ok: false,
          message:
            'mirror' in action ? `${action.mirror} is not one of this Worker's mirrors (FERRY_MIRRORS).` : 'Not possible at the edge.',
        };
      }
      const at = now().toISOString();
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
