// The publisher contract for `kv` through a binding, on the real local KV `wrangler dev` uses
// (Miniflare's, opened with wrangler's getPlatformProxy in a folder of its own). The harness only
// records the writes the binding sees, and refuses one when told to.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getPlatformProxy } from 'wrangler';
import { createKvBindingPublisher, type KvBinding } from '../../src/adapters/publishers/kv-binding-publisher.ts';
import { describePublisherContract, type BackingWrite } from './publisher.contract.ts';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

describePublisherContract('kv (local KV binding, Miniflare)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-kv-binding-'));
  const proxy = await getPlatformProxy<{ FERRY_KV: KvBinding }>({
    configPath: resolve(import.meta.dirname, '../../wrangler.toml'),
    persist: { path: join(dir, 'v3') },
    remoteBindings: false,
  });
  const kv = proxy.env.FERRY_KV;
  const prefix = 'snapshot';
  const log: BackingWrite[] = [];
  const failing = new Set<string>();
  const recorded: KvBinding = {
    get: (key, type) => kv.get(key, type),
    list: (options) => kv.list(options),
    async put(key, value, options) {
      const path = key.slice(prefix.length);
      if (failing.delete(path)) throw new Error('refused for the test');
      await kv.put(key, value, options);
      log.push({ op: 'put', path });
    },
    async delete(key) {
      await kv.delete(key);
      log.push({ op: 'delete', path: key.slice(prefix.length) });
    },
  };
  return {
    target: createKvBindingPublisher({ id: 'local-kv', prefix }, recorded),
    async read() {
      const out = new Map<string, Uint8Array>();
      const { keys } = await kv.list({ prefix });
      for (const { name } of keys) {
        const value = await kv.get(name, 'arrayBuffer');
        if (value !== null) out.set(name.slice(prefix.length), new Uint8Array(value));
      }
      return out;
    },
    takeLog: async () => log.splice(0),
    failWrite: (path) => failing.add(path),
    async close() {
      await proxy.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
