// `kv` through a binding instead of the REST API: a Workers KV namespace as a Worker sees it, or
// the local one `wrangler dev` persists (Miniflare, reached through wrangler's getPlatformProxy).
// Same keys and metadata as the REST publisher (kv-publisher.ts): key = prefix + snapshot path,
// metadata {sha256, size}, only changed keys written, manifest.json.sig then manifest.json last,
// stale keys deleted after. Values are written as bytes (never as text: a PNG stays a PNG), and
// every key written is read back and compared with the manifest's digest.
import { MANIFEST_PATH, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH, SIGNATURE_PATH, isSafeSnapshotPath } from '../../core/manifest.ts';
import { isRecord } from '../../core/is-record.ts';
import { planPublish } from '../../core/publish-plan.ts';
import { PublishError, type PublishTarget } from '../../ports/publisher.ts';
import { checkSnapshot, forEachLimited, parseHeldManifest, sha256Hex } from './snapshot-files.ts';

/** The part of a KV binding this publisher uses (KVNamespace in Workers and Miniflare). */
export interface KvBinding {
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  put(key: string, value: ArrayBuffer, options?: { metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix?: string;
    cursor?: string;
    limit?: number;
  }): Promise<{ keys: Array<{ name: string; metadata?: unknown }>; list_complete: boolean; cursor?: string }>;
}

export interface KvBindingTargetConfig {
  id: string;
  /** Key prefix, as the edge's kv mirror reads it (wrangler.toml ships 'snapshot'). */
  prefix?: string;
  /** Writes at once (default 8). */
  concurrency?: number;
}

export function createKvBindingPublisher(config: KvBindingTargetConfig, kv: KvBinding): PublishTarget {
  const prefix = config.prefix ?? '';
  const concurrency = config.concurrency ?? 8;
  const fail = (op: 'list' | 'upload' | 'delete' | 'read', detail: string, path?: string): PublishError =>
    new PublishError(config.id, op, detail, path);

  const listHeld = async (): Promise<Map<string, string | undefined>> => {
    const have = new Map<string, string | undefined>();
    let cursor: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const res = await kv.list({ prefix, limit: 1000, ...(cursor === undefined ? {} : { cursor }) }).catch((e: unknown) => {
        throw fail('list', `list keys: ${(e as Error).message}`);
      });
      for (const key of res.keys) {
        const path = key.name.slice(prefix.length);
        if (!key.name.startsWith(prefix) || !isSafeSnapshotPath(path)) continue;
        const md = key.metadata;
        have.set(path, isRecord(md) && typeof md.sha256 === 'string' ? md.sha256 : undefined);
      }
      if (res.list_complete || res.cursor === undefined || res.cursor === '') return have;
      cursor = res.cursor;
    }
    throw fail('list', 'list keys never ended (cursor loop)');
  };

  return {
    id: config.id,
    kind: 'kv',
    async current() {
      const bytes = await kv.get(prefix + MANIFEST_PATH, 'arrayBuffer');
      return bytes === null ? undefined : parseHeldManifest(config.id, new Uint8Array(bytes));
    },
    async publish(files, options = {}) {
      const { signal, onProgress } = options;
      const checked = await checkSnapshot(config.id, files, signal);
      const plan = planPublish(checked.sha256, await listHeld());
      onProgress?.(`${plan.upload.length} keys to write, ${plan.delete.length} to delete, ${plan.unchanged.length} unchanged`);
      let bytes = 0;
      const put = async (path: string): Promise<void> => {
        signal?.throwIfAborted();
        const body = await checked.read(path, signal);
        const sha256 = checked.sha256.get(path) ?? '';
        const key = prefix + path;
        try {
          await kv.put(key, toArrayBuffer(body), { metadata: { sha256, size: body.byteLength } });
        } catch (e) {
          throw fail('upload', `write ${key}: ${(e as Error).message}`, path);
        }
        // Read back: what the store holds must be the signed bytes (binaries included).
        const back = await kv.get(key, 'arrayBuffer');
        if (back === null || back.byteLength !== body.byteLength || sha256Hex(new Uint8Array(back)) !== sha256) {
          throw fail('upload', `${key} holds other bytes than were written (${back?.byteLength ?? 0} of ${body.byteLength})`, path);
        }
        bytes += body.byteLength;
      };
      // In plan order: the announcement, then content (several at once), then manifest.json.sig
      // and manifest.json, each alone.
      const own = (p: string): boolean => p === MANIFEST_PATH || p === SIGNATURE_PATH;
      const announce = (p: string): boolean => p === NEXT_MANIFEST_PATH || p === NEXT_SIGNATURE_PATH;
      for (const path of plan.upload.filter(announce)) await put(path);
      let done = 0;
      await forEachLimited(
        plan.upload.filter((p) => !own(p) && !announce(p)),
        concurrency,
        async (path) => {
          await put(path);
          done += 1;
          if (done % 500 === 0) onProgress?.(`wrote ${done}/${plan.upload.length} keys`);
        },
        signal,
      );
      for (const path of plan.upload.filter(own)) await put(path);
      for (const path of plan.delete) {
        await kv.delete(prefix + path).catch((e: unknown) => {
          throw fail('delete', `delete ${prefix + path}: ${(e as Error).message}`, path);
        });
      }
      onProgress?.(`wrote ${plan.upload.length} keys, deleted ${plan.delete.length} stale keys`);
      return { uploaded: plan.upload.length, deleted: plan.delete.length, unchanged: plan.unchanged.length, bytes };
    },
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
