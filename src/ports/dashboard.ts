// What the maintainers' dashboard (/_ferry/ on `ferry serve` and in the Worker) reads and does.
// One backend per runtime: Node reads the health store, the run records and the state store and
// acts through the republisher and the edge; the Worker reads what its cron and `ferry serve`
// pushed to KV and acts where that makes sense at the edge. Plain data in both directions.
import type { Evidence, Vantage, Verdict } from '../core/health/observation.ts';

export interface VantageView {
  vantage: Vantage;
  verdict: Verdict;
  at: string;
  evidence: Evidence[];
}

export interface TargetView {
  id: string;
  url?: string;
  state: Verdict;
  since: string;
  /** The last round's evidence that is not clean. */
  evidence: Evidence[];
  /** The newest result from each vantage point. */
  vantages: VantageView[];
  /** Recent total probe times from this checker, ms, oldest first (for the sparkline). */
  latencies: number[];
  paused: boolean;
}

export interface PublishView {
  id: string;
  trigger: string;
  started: string;
  ended?: string;
  outcome: string;
  version?: number;
  cid?: string;
  error?: string;
  targets: Array<{ target: string; ok: boolean; error?: string }>;
}

export interface HeldPostView {
  id: string;
  title: string;
  reasons: string[];
  /** The published version's text and the held-back one's, when both are known (for the diff). */
  published?: string;
  held?: string;
}

export interface AlertView {
  at: string;
  channel: string;
  subject: string;
  ok: boolean;
  error?: string;
}

export interface ActionView {
  at: string;
  who: string;
  action: string;
  result: string;
}

export interface DashboardView {
  mirrors: TargetView[];
  origin?: TargetView;
  canonical?: { id?: string; url?: string; since: string; reason: string };
  publishes: PublishView[];
  held: HeldPostView[];
  alerts: AlertView[];
  actions: ActionView[];
  /** On the Worker: whose picture this is (ferry serve's pushed view, how old) and what waits for ferry serve. */
  edge?: EdgeViewNote;
}

/** What the Worker's dashboard says about its picture (rendered above the tables). */
export interface EdgeViewNote {
  /** ferry serve's last pushed view, by the Worker's clock; absent when none arrived yet. */
  pushed?: { receivedAt: string; ageSeconds: number; stale: boolean };
  /** Maintainers' requests recorded here that ferry serve has not applied yet. */
  requests: EdgeRequest[];
}

/** A maintainer's request made on the Worker for ferry serve to apply (it holds the signing key). */
export interface EdgeRequest {
  id: string;
  kind: 'rotate';
  mirror: string;
  who: string;
  at: string;
}

/** What ferry serve says back once it applied (or refused) a request. */
export interface EdgeRequestResult {
  id: string;
  ok: boolean;
  message: string;
}

/**
 * The view `ferry serve` pushes to the Worker after each health round (POST /_ferry/health/view):
 * its dashboard's view without post bodies, bounded (see src/edge/dashboard/pushed-view.ts).
 */
export interface PushedView {
  format: 'ferry-dashboard-view/1';
  /** When ferry serve built it (its clock). */
  at: string;
  /** ferry serve's health.every, seconds: a view older than three of these is marked stale. */
  everySeconds: number;
  view: DashboardView;
}

/** Where the Worker keeps the pushed view and the requests that wait for ferry serve. */
export interface PushedViewStore {
  load(): Promise<{ receivedAt: string; pushed: PushedView } | undefined>;
  save(stored: { receivedAt: string; pushed: PushedView }): Promise<void>;
}

export interface EdgeRequestStore {
  /** Oldest first. */
  pending(): Promise<EdgeRequest[]>;
  /** A new rotate request replaces any pending one (the last choice wins). */
  add(request: EdgeRequest): Promise<void>;
  /** Removes these and returns the ones that were pending (each is acknowledged once). */
  acknowledge(ids: readonly string[]): Promise<EdgeRequest[]>;
}

export type DashboardAction =
  | { kind: 'approve'; post: string }
  | { kind: 'reject'; post: string }
  | { kind: 'pause'; mirror: string }
  | { kind: 'resume'; mirror: string }
  | { kind: 'rotate'; mirror: string }
  /** Forget a target's state (a compromised verdict stays until a maintainer clears it). */
  | { kind: 'clear'; mirror: string }
  | { kind: 'check' }
  | { kind: 'publish' };

export const ACTION_KINDS = ['approve', 'reject', 'pause', 'resume', 'rotate', 'clear', 'check', 'publish'] as const;

export interface DashboardBackend {
  view(): Promise<DashboardView>;
  /** Which actions this runtime can do (the Worker: pause, resume, rotate). */
  actions: readonly DashboardAction['kind'][];
  /** Do it, record it with who and when in the history, and say what happened (in words). */
  act(action: DashboardAction, who: string): Promise<{ ok: boolean; message: string }>;
}

/** A signed-in maintainer's session, kept on the server (signing out deletes it). */
export interface Session {
  /** Bound to the session: every POST must carry it. */
  csrf: string;
  /** Who signed in, for the history ('maintainer' + the first characters of the session id). */
  who: string;
  /** ISO 8601. */
  expires: string;
  /** The last action's result, shown once on the next page. */
  flash?: { ok: boolean; message: string };
}

export interface SessionStore {
  put(id: string, session: Session): Promise<void>;
  get(id: string): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
}
