// What the edge keeps between requests and restarts: the last accepted manifest (so a rollback is
// refused even after a restart), the last verified copy of each path (served, marked stale, when
// no mirror can deliver) and the mirrors it was told not to ask. Adapters: memory, KV (Workers),
// files (Node).

export interface StoredManifest {
  /** The manifest's exact bytes and its signature text, re-verified when loaded. */
  manifest: Uint8Array;
  signature: string;
}

export interface StoredFile {
  sha256: string;
  body: Uint8Array;
  /** When the edge verified it (ISO 8601). */
  verifiedAt: string;
}

export interface StoredExclusion {
  reason: string;
  /** When it was excluded (ISO 8601). */
  since: string;
}

export interface EdgeStateStore {
  /**
   * Mirrors the edge must not ask (id -> why and since when): excluded by the health checker (a
   * compromised verdict) or paused by a maintainer, shared by every edge process or Worker isolate
   * on this store until included again.
   */
  loadExclusions(): Promise<Record<string, StoredExclusion>>;
  saveExclusions(exclusions: Record<string, StoredExclusion>): Promise<void>;
  loadManifest(): Promise<StoredManifest | undefined>;
  saveManifest(manifest: StoredManifest): Promise<void>;
  loadFile(path: string): Promise<StoredFile | undefined>;
  saveFile(path: string, file: StoredFile): Promise<void>;
}
