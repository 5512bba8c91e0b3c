// A publish target: somewhere a signed snapshot is copied to so readers can fetch it (a folder a
// static host serves, Workers KV, a Pages branch, an S3 bucket). One adapter per technology in
// src/adapters/publishers; the scheduler only sees this port.
import type { Manifest } from '../core/manifest.ts';

export interface PublishOptions {
  /** Cancels the publish (the run's deadline). Work already done stays; the old manifest stays. */
  signal?: AbortSignal;
  /** Short human-readable progress lines ("uploaded 120/300 files"). Never contains secrets. */
  onProgress?: (message: string) => void;
}

export interface PublishResult {
  /** Files written (including manifest.json and its signature when they changed). */
  uploaded: number;
  /** Stale files removed. */
  deleted: number;
  /** Files the target already held with the right bytes. */
  unchanged: number;
  /** Bytes written. */
  bytes: number;
}

export interface PublishTarget {
  readonly id: string;
  readonly kind: string;
  /** The manifest the target serves now (parsed, not verified), or undefined if it has none. */
  current(signal?: AbortSignal): Promise<Manifest | undefined>;
  /**
   * Make the target hold exactly `files` (a signed snapshot: path -> bytes, with /manifest.json
   * and /manifest.json.sig). Uploads only changed files, writes manifest.json and its signature
   * last, then deletes files no longer listed. On failure the target still serves its previous
   * manifest (files may already be newer; the edge's verification catches that) and the error is
   * a PublishError.
   */
  publish(files: ReadonlyMap<string, Uint8Array>, options?: PublishOptions): Promise<PublishResult>;
}

export type PublishOperation = 'check' | 'read' | 'list' | 'upload' | 'delete' | 'commit' | 'push' | 'config';

export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    readonly targetId: string,
    readonly operation: PublishOperation,
    detail: string,
    readonly path?: string,
  ) {
    super(`target '${targetId}': ${operation}${path === undefined ? '' : ` ${path}`} failed: ${detail}`);
  }
}
