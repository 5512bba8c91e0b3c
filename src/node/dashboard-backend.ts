// The dashboard's backend on `ferry serve`: what it shows comes from the health store (states,
// each vantage point's last result, probe times), the run records, the state store (posts held
// back) and the maintainers' own store; what it does goes through the same paths as the CLI
// (approvals, the republisher, the health job, rotation) and is recorded with who and when.
import { withAction, type MaintainerState } from '../core/maintainer-state.ts';
import type { MirrorRef } from '../core/model.ts';
import type { TargetState } from '../core/health/health-state.ts';
import { ORIGIN_TARGET, type ProbeResult } from '../core/health/observation.ts';
import type { AlertView, DashboardAction, DashboardBackend, DashboardView, HeldPostView, TargetView } from '../ports/dashboard.ts';
import type { HealthStore } from '../ports/health-store.ts';
import type { MaintainerStore } from '../ports/maintainer-store.ts';
import type { RunRecord, RunStore } from '../ports/runs.ts';
import type { StateStore } from '../ports/state.ts';
import type { CheckTarget } from '../health/check-round.ts';

export interface NodeDashboardDeps {
  targets: readonly CheckTarget[];
  mirrors: readonly MirrorRef[];
  health: HealthStore;
  runs: RunStore;
  state: StateStore;
  maintainer: MaintainerStore;
  /** Run one republish now (the republisher; its lock keeps runs from overlapping). */
  publish(trigger: 'manual'): Promise<RunRecord>;
  /** Run one health round now, and what follows it (rotation). */
  check(): Promise<void>;
  /** After the canonical was forced or a mirror paused: republish if what is signed no longer matches. */
  rotate(): Promise<void>;
  exclusions?: { exclude(id: string, reason: string): Promise<void> | void; include(id: string): Promise<void> | void };
  alerts?: () => Promise<AlertView[]>;
  now?: () => Date;
}

const LATENCY_POINTS = 30;

export function createNodeDashboardBackend(deps: NodeDashboardDeps): DashboardBackend {
  const now = deps.now ?? (() => new Date());
  const record = (who: string, action: string, result: { ok: boolean; message: string }) =>
    deps.maintainer.update((s) => withAction(s, { at: now().toISOString(), who, action, result: result.message }));

  const targetView = async (t: CheckTarget, s: TargetState | undefined, latest: ProbeResult[], m: MaintainerState): Promise<TargetView> => {
    const history = await deps.health.history({ target: t.id, limit: LATENCY_POINTS * 4 });
    const latencies = history
      .filter((r) => r.vantage.kind === 'local' && r.timings?.totalMs !== undefined)
      .slice(0, LATENCY_POINTS)
      .map((r) => r.timings?.totalMs ?? 0)
      .reverse();
    return {
      id: t.id,
      ...(t.role === 'mirror' ? { url: t.url } : {}),
      state: s?.state ?? 'unreachable',
      since: s?.since ?? '',
      evidence: s?.evidence ?? [],
      vantages: latest
        .filter((r) => r.target === t.id)
        .map((r) => ({ vantage: r.vantage, verdict: r.verdict, at: r.at, evidence: r.evidence.filter((e) => e.points !== 'healthy') })),
      latencies,
      paused: m.paused[t.id] !== undefined,
    };
  };

  const heldPosts = async (m: MaintainerState): Promise<HeldPostView[]> => {
    const out: HeldPostView[] = [];
    for (const site of await deps.state.list()) {
      const pending = site.pending.filter((q) => m.rejected[q.id] !== q.hash);
      if (pending.length === 0) continue;
      const published = new Map(
        (
          await deps.state.loadPosts(
            site.siteId,
            pending.map((q) => q.id),
          )
        ).map((p) => [p.id, p]),
      );
      for (const q of pending) {
        const before = published.get(q.id);
        out.push({
          id: q.id,
          title: q.title,
          reasons: q.reasons,
          ...(before === undefined ? {} : { published: before.html }),
          ...(q.html === undefined ? {} : { held: q.html }),
        });
      }
    }
    return out;
  };

  const view = async (): Promise<DashboardView> => {
    const [states, latest, canonical, runs, m, alerts] = await Promise.all([
      deps.health.loadStates(),
      deps.health.latestResults(new Date(now().getTime() - 24 * 3600_000).toISOString()),
      deps.health.loadCanonical(),
      deps.runs.list(10),
      deps.maintainer.load(),
      deps.alerts?.() ?? Promise.resolve([]),
    ]);
    const views = await Promise.all(deps.targets.map((t) => targetView(t, states.get(t.id), latest, m)));
    const canonicalUrl = deps.mirrors.find((x) => x.id === canonical?.id)?.url;
    return {
      mirrors: views.filter((v) => v.id !== ORIGIN_TARGET),
      ...(views.find((v) => v.id === ORIGIN_TARGET) === undefined ? {} : { origin: views.find((v) => v.id === ORIGIN_TARGET) }),
      ...(canonical === undefined
        ? {}
        : {
            canonical: {
              ...(canonical.id === undefined ? {} : { id: canonical.id }),
              ...(canonicalUrl === undefined ? {} : { url: canonicalUrl }),
              since: canonical.since,
              reason: canonical.reason,
            },
          }),
      publishes: runs.map((r) => ({
        id: r.id,
        trigger: r.trigger,
        started: r.started,
        ...(r.ended === undefined ? {} : { ended: r.ended }),
        outcome: r.outcome,
        ...(r.version === undefined ? {} : { version: r.version }),
        ...(r.cid === undefined ? {} : { cid: r.cid }),
        ...(r.error === undefined ? {} : { error: r.error }),
        targets: r.targets.map((x) => ({ target: x.id, ok: x.outcome === 'ok', ...(x.error === undefined ? {} : { error: x.error }) })),
      })),
      held: await heldPosts(m),
      alerts: alerts.slice(0, 20),
      actions: [...m.actions].reverse().slice(0, 20),
    };
  };

  /** Once nothing is held back, a maintainer has reviewed what made the origin suspect: judge it afresh. */
  const reviewedOrigin = async (): Promise<void> => {
    const m = await deps.maintainer.load();
    const left = (await deps.state.list()).some(
      (s) => s.pending.some((q) => m.rejected[q.id] !== q.hash) || s.pendingOriginId !== undefined,
    );
    if (!left) await deps.health.forgetState(ORIGIN_TARGET);
  };

  const mirrorIds = new Set(deps.targets.filter((t) => t.role === 'mirror').map((t) => t.id));

  const act = async (action: DashboardAction, who: string): Promise<{ ok: boolean; message: string }> => {
    switch (action.kind) {
      case 'approve': {
        const site = (await deps.state.list()).find((s) => s.pending.some((q) => q.id === action.post));
        const q = site?.pending.find((p) => p.id === action.post);
        if (site === undefined || q === undefined) return { ok: false, message: `No post ${action.post} is held back.` };
        // Only the new approval: the store adds it to whatever it holds now (a build since may have used others).
        await deps.state.saveApprovals(site.siteId, { [q.id]: q.hash });
        const run = await deps.publish('manual');
        await reviewedOrigin();
        return run.outcome === 'ok' || run.outcome === 'partial'
          ? { ok: true, message: `Approved "${q.title}"; published in version ${run.version ?? '?'}.` }
          : {
              ok: false,
              message: `Approved "${q.title}"; the publish ${run.outcome}${run.error === undefined ? '' : `: ${run.error}`} (the next run retries).`,
            };
      }
      case 'reject': {
        const site = (await deps.state.list()).find((s) => s.pending.some((q) => q.id === action.post));
        const q = site?.pending.find((p) => p.id === action.post);
        if (q === undefined) return { ok: false, message: `No post ${action.post} is held back.` };
        await deps.maintainer.update((s) => ({ ...s, rejected: { ...s.rejected, [q.id]: q.hash } }));
        await reviewedOrigin();
        return { ok: true, message: `Rejected the change to "${q.title}": the published version stays.` };
      }
      case 'pause':
      case 'resume': {
        if (!mirrorIds.has(action.mirror)) return { ok: false, message: `No mirror ${action.mirror}.` };
        await deps.maintainer.update((s) => {
          const paused = { ...s.paused };
          if (action.kind === 'pause') paused[action.mirror] = { who, at: now().toISOString() };
          else delete paused[action.mirror];
          return { ...s, paused };
        });
        if (action.kind === 'pause') await deps.exclusions?.exclude(action.mirror, `paused by ${who}`);
        else await deps.exclusions?.include(action.mirror);
        await deps.rotate();
        return {
          ok: true,
          message:
            action.kind === 'pause'
              ? `Paused ${action.mirror}: the edge no longer asks it and it is never canonical.`
              : `Resumed ${action.mirror}.`,
        };
      }
      case 'rotate': {
        const target = deps.targets.find((t) => t.id === action.mirror && t.role === 'mirror');
        const state = (await deps.health.loadStates()).get(action.mirror);
        const m = await deps.maintainer.load();
        if (target === undefined) return { ok: false, message: `No mirror ${action.mirror}.` };
        if (state === undefined || (state.state !== 'healthy' && state.state !== 'degraded') || m.paused[action.mirror] !== undefined) {
          return {
            ok: false,
            message: `${action.mirror} is ${m.paused[action.mirror] !== undefined ? 'paused' : (state?.state ?? 'not checked yet')}: only a working mirror can be canonical.`,
          };
        }
        const previous = await deps.health.loadCanonical();
        const at = now().toISOString();
        const reason = `forced by ${who}`;
        await deps.health.recordRound({
          startedAt: at,
          finishedAt: at,
          results: [],
          states: [],
          transitions: [],
          canonical: { from: previous?.id, to: action.mirror, at, reason, record: { id: action.mirror, since: at, reason } },
        });
        await deps.rotate();
        return { ok: true, message: `The canonical is now ${action.mirror}; the snapshot is re-signed with it.` };
      }
      case 'clear': {
        const known = deps.targets.some((t) => t.id === action.mirror);
        if (!known) return { ok: false, message: `No target ${action.mirror}.` };
        await deps.health.forgetState(action.mirror);
        await deps.exclusions?.include(action.mirror);
        await deps.check();
        return { ok: true, message: `Cleared ${action.mirror}: the last round judged it afresh.` };
      }
      case 'check':
        await deps.check();
        return { ok: true, message: 'Checked every mirror now.' };
      case 'publish': {
        const run = await deps.publish('manual');
        return {
          ok: run.outcome === 'ok' || run.outcome === 'partial',
          message: `Publish ${run.outcome}${run.version === undefined ? '' : `: version ${run.version}`}${run.error === undefined ? '' : ` (${run.error})`}.`,
        };
      }
    }
  };

  return {
    actions: ['approve', 'reject', 'pause', 'resume', 'rotate', 'clear', 'check', 'publish'],
    view,
    act: async (action, who) => {
      let result: { ok: boolean; message: string };
      try {
        result = await act(action, who);
      } catch (e) {
        result = { ok: false, message: `${action.kind} failed: ${(e as Error).message}` };
      }
      await record(
        who,
        'mirror' in action ? `${action.kind} ${action.mirror}` : 'post' in action ? `${action.kind} ${action.post}` : action.kind,
        result,
      );
      return result;
    },
  };
}
