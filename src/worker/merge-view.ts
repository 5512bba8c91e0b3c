// The Worker dashboard's picture: ferry serve's pushed view (its whole-round verdicts, canonical,
// publishes, held-back posts, alerts, history) with this Worker's own knowledge laid over it — its
// cron's newest probe as the `worker` vantage point, its own pauses, the manifest it accepted —
// and a note of how old the pushed view is. Without a pushed view, the Worker's own view alone.
import type { DashboardView, EdgeRequest, PushedView, TargetView } from '../ports/dashboard.ts';

/** A pushed view older than this many of ferry serve's health rounds is marked stale. */
export const STALE_ROUNDS = 3;

export interface MergeInput {
  /** What the Worker knows itself (its cron, its pool, its accepted manifest, its pauses and history). */
  own: DashboardView;
  pushed: { receivedAt: string; pushed: PushedView } | undefined;
  requests: EdgeRequest[];
  now: Date;
}

export function mergeViews({ own, pushed, requests, now }: MergeInput): DashboardView {
  if (pushed === undefined) return { ...own, edge: { requests } };
  const theirs = pushed.pushed.view;
  const ownById = new Map(own.mirrors.map((m) => [m.id, m]));
  const overlay = (m: TargetView): TargetView => {
    const mine = ownById.get(m.id);
    if (mine === undefined) return { ...m, paused: false };
    const cron = mine.vantages.filter((v) => v.vantage.kind === 'worker');
    return {
      ...m,
      vantages: [...m.vantages.filter((v) => v.vantage.kind !== 'worker' || cron.length === 0), ...cron],
      latencies: m.latencies.length > 0 ? m.latencies : mine.latencies,
      paused: mine.paused,
    };
  };
  const pushedIds = new Set(theirs.mirrors.map((m) => m.id));
  const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(pushed.receivedAt)) / 1000));
  return {
    mirrors: [...theirs.mirrors.map(overlay), ...own.mirrors.filter((m) => !pushedIds.has(m.id))],
    ...(theirs.origin === undefined ? {} : { origin: { ...theirs.origin, paused: false } }),
    ...(theirs.canonical === undefined
      ? own.canonical === undefined
        ? {}
        : { canonical: own.canonical }
      : { canonical: theirs.canonical }),
    // What this edge serves first (it may lag behind ferry serve's last publish), then ferry serve's runs.
    publishes: [...own.publishes, ...theirs.publishes].slice(0, 20),
    held: theirs.held,
    alerts: theirs.alerts,
    actions: [...own.actions, ...theirs.actions].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 20),
    edge: {
      pushed: { receivedAt: pushed.receivedAt, ageSeconds, stale: ageSeconds > STALE_ROUNDS * pushed.pushed.everySeconds },
      requests,
    },
  };
}
