// The record of each republish run: what was built, where it went, how it ended. Kept so that a
// maintainer (and the dashboard) can see what happened, and so a crash is noticed on restart.

export type RunOutcome = 'running' | 'ok' | 'partial' | 'failed' | 'interrupted';

export interface TargetResult {
  id: string;
  kind: string;
  outcome: 'ok' | 'failed';
  uploaded?: number;
  deleted?: number;
  unchanged?: number;
  bytes?: number;
  error?: string;
}

/** What happened to the IPFS root beyond the embedded store: pins, gateway checks, pointers. */
export interface IpfsResult {
  outcome: 'ok' | 'failed';
  pinned: string[];
  verifiedBy: string[];
  pointers: Array<{ pointer: string; ok: boolean; error?: string }>;
  error?: string;
}

export interface RunRecord {
  id: string;
  /** What started the run: the schedule, a person, `ferry serve` starting, or the health checker moving the canonical. */
  trigger: 'schedule' | 'manual' | 'start' | 'rotation';
  started: string;
  ended?: string;
  outcome: RunOutcome;
  attempt: number;
  error?: string;
  version?: number;
  cid?: string;
  posts?: number;
  quarantined?: number;
  targets: TargetResult[];
  ipfs?: IpfsResult;
}

export interface RunStore {
  /** Record a run (atomically replacing an earlier record with the same id). */
  put(run: RunRecord): Promise<void>;
  /** Newest first. */
  list(limit?: number): Promise<RunRecord[]>;
  /** Runs left 'running' by a process that died are marked 'interrupted'; returns them. */
  recover(now: Date): Promise<RunRecord[]>;
}
