// Edge state in memory: the default, and what tests use. Lost on restart.
import type { EdgeStateStore, StoredExclusion, StoredFile, StoredManifest } from '../../ports/edge-state.ts';

export function createMemoryEdgeState(): EdgeStateStore {
  let manifest: StoredManifest | undefined;
  const files = new Map<string, StoredFile>();
  let exclusions: Record<string, StoredExclusion> = {};
  return {
    loadExclusions: async () => structuredClone(exclusions),
    saveExclusions: async (e) => {
      exclusions = structuredClone(e);
    },
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
