// Edge state in memory: the default, and what tests use. Lost on restart.
import type { EdgeStateStore, StoredFile, StoredManifest } from '../../ports/edge-state.ts';

export function createMemoryEdgeState(): EdgeStateStore {
  let manifest: StoredManifest | undefined;
  const files = new Map<string, StoredFile>();
  let compromised: Record<string, string> = {};
  return {
    loadCompromised: async () => ({ ...compromised }),
    saveCompromised: async (marks) => {
      compromised = { ...marks };
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
