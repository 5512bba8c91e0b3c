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

/** A file of a snapshot: what the signed manifest says its bytes are. */
export interface SnapshotEntry {
  /** sha256 of the bytes, lowercase hex. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * A signed snapshot, read lazily: every path with its digest up front (from the signed manifest,
 * so nothing is read to list it), a file's bytes only when asked. A target reads only what it
 * uploads, so a republish costs what changed, not the blog's size.
 */
export interface SnapshotFiles {
  /** Every path, /manifest.json, /manifest.json.sig and any announcement copies included. */
  readonly entries: ReadonlyMap<string, SnapshotEntry>;
  /**
   * The bytes at path, as stored. They are NOT checked here: a consumer checks them against
   * `entries` (a publisher refuses a mismatch; the IPFS import refuses a block that differs).
   */
  read(path: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Narrows a snapshot given either lazily or as a plain map (a Map has no read()). */
export function isSnapshotFiles(value: SnapshotFiles | ReadonlyMap<string, Uint8Array>): value is SnapshotFiles {
  return 'read' in value && typeof value.read === 'function';
}

export interface PublishTarget {
  readonly id: string;
  readonly kind: string;
  /** The manifest the target serves now (parsed, not verified), or undefined if it has none. */
  current(signal?: AbortSignal): Promise<Manifest | undefined>;
  /**
   * Make the target hold exactly `files` (a signed snapshot, with /manifest.json and
   * /manifest.json.sig). Reads and uploads only changed files, each checked against the manifest
   * as it is read (a mismatch is PublishError 'check'), writes manifest.json and its signature
   * last, then deletes files no longer listed. On failure the target still serves its previous
   * manifest (files may already be newer; the edge's verification catches that) and the error is
   * a PublishError.
   */
  publish(files: SnapshotFiles, options?: PublishOptions): Promise<PublishResult>;
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
