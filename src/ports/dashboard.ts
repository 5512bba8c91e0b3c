// What the maintainers' dashboard (/_ferry/ on `ferry serve` and in the Worker) reads and does.
// One backend per runtime: Node reads the health store, the run records and the state store and
// acts through the republisher and the edge; the Worker reads what its cron and `ferry serve`
// pushed to KV and acts where that makes sense at the edge. Plain data in both directions.
import type { DashboardView, EdgeRequest, PushedView } from '../core/dashboard/view.ts';

export type {
  VantageView,
  TargetView,
  PublishView,
  HeldPostView,
  AlertView,
  ActionView,
  DashboardView,
  EdgeViewNote,
  EdgeRequest,
  EdgeRequestResult,
  PushedView,
} from '../core/dashboard/view.ts';

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
