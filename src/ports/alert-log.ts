// Where the alerts remember what each alerter was told (the last thing per topic) and every try to
// tell it (bounded), so a repeat keeps its interval across restarts, a failed delivery is tried
// again next round, and a crash resends at most the message that was in flight. Adapters: SQLite
// (Node), memory (tests, `ferry check` without --state).
import type { AlertAttempt } from '../core/health/alert-codec.ts';
import type { Told } from '../core/health/alert-plan.ts';

export type { AlertAttempt, Told };

export interface AttemptQuery {
  alerter?: string;
  /** ISO 8601; only attempts at or after it. */
  since?: string;
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

/** Attempts kept (the oldest are dropped). */
export const MAX_ALERT_ATTEMPTS = 5000;

export interface AlertLog {
  /** The last thing told per (alerter, topic). */
  told(): Promise<Told[]>;
  /** Records one try and, in the same step, what it told (pass [] for a failed one). */
  record(attempt: AlertAttempt, told: readonly Told[]): Promise<void>;
  /** Remembers what an alerter knows without a message (the first canonical it sees). */
  remember(told: readonly Told[]): Promise<void>;
  /** Newest first. */
  attempts(query?: AttemptQuery): Promise<AlertAttempt[]>;
  close(): Promise<void>;
}
