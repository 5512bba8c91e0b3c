// Edge state in Workers KV: keys <prefix>manifest.json, <prefix>manifest.json.sig,
// <prefix>exclusions.json (mirrors no isolate may ask) and <prefix>file:<path> (metadata:
// sha256, verifiedAt). A file is written only when its digest
// changed, to stay within KV's write limits.
import type { EdgeStateStore, StoredFile } from '../../ports/edge-state.ts';
import { fromExclusionsJson, toExclusionsJson } from './exclusions-json.ts';

export interface KvStore {
  get(key: string, type: 'text'): Promise<string | null>;
  getWithMetadata(key: string, type: 'arrayBuffer'): Promise<{ value: ArrayBuffer | null; metadata: unknown }>;
  put(key: string, value: string | ArrayBuffer, options?: { metadata?: unknown }): Promise<void>;
}

export function createKvEdgeState(kv: KvStore, prefix = 'ferry-state/'): EdgeStateStore {
  const known = new Map<string, string>();
  return {
    async loadExclusions() {
      return fromExclusionsJson(await kv.get(`${prefix}exclusions.json`, 'text'));
    },
    async saveExclusions(exclusions) {
      await kv.put(`${prefix}exclusions.json`, toExclusionsJson(exclusions));
    },
    async loadManifest() {
      const text = await kv.get(`${prefix}manifest.json`, 'text');
      const signature = await kv.get(`${prefix}manifest.json.sig`, 'text');
      if (text === null || signature === null) return undefined;
      return { manifest: new TextEncoder().encode(text), signature };
    },
    async saveManifest({ manifest, signature }) {
      await kv.put(`${prefix}manifest.json`, new TextDecoder().decode(manifest));
      await kv.put(`${prefix}manifest.json.sig`, signature);
    },
    async loadFile(path) {
      const { value, metadata } = await kv.getWithMetadata(`${prefix}file:${path}`, 'arrayBuffer');
      if (value === null || !isMeta(metadata)) return undefined;
      known.set(path, metadata.sha256);
      return { sha256: metadata.sha256, verifiedAt: metadata.verifiedAt, body: new Uint8Array(value) };
    },
    async saveFile(path: string, file: StoredFile) {
      if (known.get(path) === file.sha256) return;
      const body = file.body.slice().buffer;
      await kv.put(`${prefix}file:${path}`, body, { metadata: { sha256: file.sha256, verifiedAt: file.verifiedAt } });
      known.set(path, file.sha256);
    },
  };
}

function isMeta(v: unknown): v is { sha256: string; verifiedAt: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { sha256?: unknown }).sha256 === 'string' &&
    typeof (v as { verifiedAt?: unknown }).verifiedAt === 'string'
  );
}
