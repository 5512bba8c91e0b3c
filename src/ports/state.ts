// What the pipeline remembers between builds, per site.
import type { PublishedRecord, Quarantined } from '../core/guard.ts';

export interface SiteState {
  /** The origin's feed id (or folder), so one data folder can hold several sites. */
  siteId: string;
  /** Highest manifest version signed so far. */
  version: number;
  published: Record<string, PublishedRecord>;
  approvals: Record<string, string>;
  /** What the last build held back, for `ferry approve`. */
  pending: Quarantined[];
}

export interface StateStore {
  load(siteId: string): Promise<SiteState>;
  /** Atomic: after a crash the store holds either the old or the new state, never a mix. */
  save(state: SiteState): Promise<void>;
  /** Every site this store knows, for commands that look a post up by id. */
  list(): Promise<SiteState[]>;
}
