// What the pipeline remembers between builds, per site.
import type { PublishedRecord, Quarantined } from '../core/guard.ts';
import type { Post } from '../core/model.ts';

export interface SiteState {
  /** The configured source (feed URL or folder): what the state is kept under. */
  siteId: string;
  /** The id the origin itself declared last time (Atom <id>); a change holds every post back. */
  originId?: string;
  /** A new id the origin declared that a maintainer has not accepted yet (`ferry approve --all`). */
  pendingOriginId?: string;
  /** Highest manifest version signed so far. */
  version: number;
  /** What the last good build published, by post id. */
  published: Record<string, PublishedRecord>;
  approvals: Record<string, string>;
  /** What the last build held back, for `ferry approve`. */
  pending: Quarantined[];
  /** Page path -> the key it was rendered from, so an incremental build can keep it. */
  renderKeys: Record<string, string>;
  /**
   * The snapshot folder (resolved --out) the render keys describe, as of `version`: they are
   * trusted only for that folder while it still serves that version.
   */
  renderOut?: string;
  /** The site title and description the published pages show. */
  meta?: { title: string; subtitle: string };
}

export interface StateStore {
  load(siteId: string): Promise<SiteState>;
  /** The published versions of these posts (to keep them in place of a held-back change). */
  loadPosts(siteId: string, ids: readonly string[]): Promise<Post[]>;
  /**
   * For a post loadPosts returned: the first 32 hex of the sha256 of JSON.stringify(post) as
   * the store recorded it, so a build need not serialize and hash every post again.
   */
  digestOf?(post: Post): string | undefined;
  /**
   * Record a build: `posts` is every post it published. Atomic: after a crash the store holds
   * either the old or the new state, never a mix. The store is the one writer of its state: a
   * save and saveApprovals (another process's `ferry approve`) never lose each other's update.
   * Given `basis` (the state the build's decisions started from, as load returned it), approvals
   * and an accepted origin id recorded since then are kept over the build's own.
   */
  save(
    state: Omit<SiteState, 'published'>,
    posts: readonly Post[],
    reuseKeys?: ReadonlyMap<string, string>,
    basis?: Pick<SiteState, 'approvals' | 'originId'>,
  ): Promise<void>;
  /**
   * Add approvals (post id -> approved hash) to a site's, and, when given, accept a new origin id
   * (the one `pendingOriginId` names).
   */
  saveApprovals(siteId: string, approvals: Readonly<Record<string, string>>, acceptOriginId?: string): Promise<void>;
  /** Every site this store knows, for commands that look a post up by id. */
  list(): Promise<SiteState[]>;
}
