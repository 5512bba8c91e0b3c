// The dashboard's data, as plain values: what a backend shows (DashboardView), what `ferry serve`
// pushes to the Worker (PushedView) and the maintainers' requests the Worker hands back. Types
// only; the codec that checks them on the wire is ./pushed-view.ts.
import type { Evidence, Vantage, Verdict } from '../health/observation.ts';

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
 * its dashboard's view without post bodies, bounded (see ./pushed-view.ts).
 */
export interface PushedView {
  format: 'ferry-dashboard-view/1';
  /** When ferry serve built it (its clock). */
  at: string;
  /** ferry serve's health.every, seconds: a view older than three of these is marked stale. */
  everySeconds: number;
  view: DashboardView;
}
