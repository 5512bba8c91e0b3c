// Edge state in memory: the default, and what tests use. Lost on restart.
import type { EdgeStateStore, StoredFile, StoredManifest } from '../../ports/edge-state.ts';

export function createMemoryEdgeState(): EdgeStateStore {
  let manifest: StoredManifest | undefined;
  const files = new Map<string, StoredFile>();
  return {
    loadManifest: async () => manifest,
    saveManifest: async (m) => {
      manifest = m;
    },
    loadFile: async (path) => files.get(path),
    saveFile: async (path, file) => {
      files.set(path, file);
    },
  };
}
