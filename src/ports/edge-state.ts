// What the edge keeps between requests and restarts: the last accepted manifest (so a rollback is
// refused even after a restart) and the last verified copy of each path (served, marked stale,
// when no mirror can deliver). Adapters: memory, KV (Workers), files (Node).

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

export interface EdgeStateStore {
  /**
   * Mirrors found serving bytes that fail verification (id -> reason), shared by every edge
   * process or Worker isolate on this store, until the health checker clears them.
   */
  loadCompromised(): Promise<Record<string, string>>;
  saveCompromised(marks: Record<string, string>): Promise<void>;
  loadManifest(): Promise<StoredManifest | undefined>;
  saveManifest(manifest: StoredManifest): Promise<void>;
  loadFile(path: string): Promise<StoredFile | undefined>;
  saveFile(path: string, file: StoredFile): Promise<void>;
}
