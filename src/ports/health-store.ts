// Where the health checker keeps what it saw and decided: probe results (from this checker and
// from the other vantage points as their reports arrive), each target's state, the transitions and
// canonical moves, bounded in size. Recording a round is one atomic step, so a crash mid-round
// loses at most that round. Adapters: SQLite (Node), memory (tests, `ferry check` without --state).
import type { ProbeResult } from '../core/health/observation.ts';
import type { CanonicalChange, CanonicalRecord } from '../core/health/choose-canonical.ts';
import type { TargetState, Transition } from '../core/health/health-state.ts';

export type { CanonicalChange, CanonicalRecord };

export interface FinishedRound {
  startedAt: string;
  finishedAt: string;
  /** The probes this checker made in the round (reports from elsewhere go through recordResults). */
  results: readonly ProbeResult[];
  /** Every target's state after the round. */
  states: readonly TargetState[];
  transitions: readonly Transition[];
  /** Set when the canonical changed in this round. */
  canonical?: CanonicalChange & { record: CanonicalRecord };
}

export interface HistoryQuery {
  target?: string;
  /** ISO 8601; only records at or after it. */
  since?: string;
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

export interface Retention {
  /** Probe results older than this are dropped, days (default 14). */
  days: number;
  /** And at most this many probe results are kept (default 200,000). */
  maxProbes: number;
}

export const DEFAULT_RETENTION: Retention = { days: 14, maxProbes: 200_000 };

export interface HealthStore {
  /** Record a finished round atomically (results, states, transitions, canonical), then prune. */
  recordRound(round: FinishedRound): Promise<void>;
  /** Record results that arrived on their own (an agent's signed report, the Worker's, OONI's). */
  recordResults(results: readonly ProbeResult[]): Promise<void>;
  /** The newest result per (target, vantage point) at or after `since`. */
  latestResults(since: string): Promise<ProbeResult[]>;
  loadStates(): Promise<Map<string, TargetState>>;
  /** Forget a target's state (a maintainer cleared it); the next round judges it alone. */
  forgetState(target: string): Promise<void>;
  loadCanonical(): Promise<CanonicalRecord | undefined>;
  history(query?: HistoryQuery): Promise<ProbeResult[]>;
  transitions(query?: HistoryQuery): Promise<Transition[]>;
  canonicalChanges(query?: Omit<HistoryQuery, 'target'>): Promise<CanonicalChange[]>;
  close(): Promise<void>;
}
