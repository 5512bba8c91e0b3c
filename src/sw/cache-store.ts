// The worker's store on the Cache API: its state (the accepted manifest) and every verified file,
// under keys of its own (never fetched; a cache key must be a URL).
import type { ReaderStore } from './reader.ts';

export function createCacheStore(caches: CacheStorage, name: string, scope: string): ReaderStore {
  const keyUrl = (key: string): string => `${scope}__ferry-sw/${encodeURIComponent(key)}`;
  let opened: Promise<Cache> | undefined;
  const cache = (): Promise<Cache> => (opened ??= caches.open(name));
  return {
    async get(key) {
      const hit = await (await cache()).match(keyUrl(key));
      return hit === undefined ? undefined : new Uint8Array(await hit.arrayBuffer());
    },
    async put(key, bytes) {
      await (await cache()).put(keyUrl(key), new Response(Uint8Array.from(bytes)));
    },
  };
}
