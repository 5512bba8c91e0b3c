// The one contract every EdgeStateStore adapter meets (memory, fs, KV), run per adapter by
// edge-states.test.ts (Node) and test/worker/edge-state.test.ts (KV inside workerd). Importable
// in workerd: no Node modules here.
import { describe, expect, it } from 'vitest';
import type { EdgeStateStore } from '../../src/ports/edge-state.ts';

export interface EdgeStateHarness {
  /** A fresh, empty store. */
  open: () => EdgeStateStore;
  /** The store last opened, opened again (as after a restart), when the adapter persists. */
  reopen?: () => EdgeStateStore;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Every byte value, and bytes that are not UTF-8. */
const BINARY = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), 0xff, 0xfe, 0x00, 0x89, 0x50]);
const MANIFEST = utf8(
  `${JSON.stringify({ format: 'ferry-manifest/1', version: 7, canonical: 'https://blog.example.org/', title: '公民自由联盟' }, null, 2)}\n`,
);
const SIGNATURE = 'ed25519:AAAA\ned25519:BBBB\n';

export function edgeStateContract(name: string, harness: EdgeStateHarness): void {
  describe(`edge state: ${name}`, () => {
    it('starts empty', async () => {
      const store = harness.open();
      expect(await store.loadManifest()).toBeUndefined();
      expect(await store.loadFile('/index.html')).toBeUndefined();
      expect(await store.loadExclusions()).toEqual({});
    });

    it('keeps the manifest byte for byte, with its signature text, the latest save winning', async () => {
      const store = harness.open();
      await store.saveManifest({ manifest: MANIFEST, signature: SIGNATURE });
      const got = await store.loadManifest();
      expect(got?.manifest).toEqual(MANIFEST);
      expect(got?.signature).toBe(SIGNATURE);
      const newer = utf8('{"version":8}');
      await store.saveManifest({ manifest: newer, signature: 'ed25519:CCCC\n' });
      expect(await store.loadManifest()).toEqual({ manifest: newer, signature: 'ed25519:CCCC\n' });
    });

    it('keeps each path apart, binary bodies intact, a new digest replacing the old copy', async () => {
      const store = harness.open();
      const paths = ['/media/a.png', '/media/a.png/x', '/2016/06/六四.html', '/index.html'];
      for (const [i, path] of paths.entries()) {
        await store.saveFile(path, { sha256: `${i}`.repeat(64), body: BINARY.subarray(i), verifiedAt: `2026-12-0${i + 1}T00:00:00.000Z` });
      }
      for (const [i, path] of paths.entries()) {
        const got = await store.loadFile(path);
        expect(got, path).toEqual({ sha256: `${i}`.repeat(64), body: BINARY.subarray(i), verifiedAt: `2026-12-0${i + 1}T00:00:00.000Z` });
      }
      expect(await store.loadFile('/media')).toBeUndefined();
      await store.saveFile('/index.html', { sha256: 'f'.repeat(64), body: utf8('new'), verifiedAt: '2026-12-07T00:00:00.000Z' });
      expect(await store.loadFile('/index.html')).toEqual({
        sha256: 'f'.repeat(64),
        body: utf8('new'),
        verifiedAt: '2026-12-07T00:00:00.000Z',
      });
      expect((await store.loadFile('/media/a.png'))?.body).toEqual(BINARY);
    });

    it('keeps the exclusions as saved (a copy: changing what was loaded changes nothing), replaced whole', async () => {
      const store = harness.open();
      const paused = { reason: 'paused by a maintainer', since: '2026-12-01T00:00:00.000Z' };
      await store.saveExclusions({ gh: paused, 'ipfs.1': { reason: 'health checker: 镜像', since: '2026-12-02T00:00:00.000Z' } });
      const got = await store.loadExclusions();
      expect(got).toEqual({ gh: paused, 'ipfs.1': { reason: 'health checker: 镜像', since: '2026-12-02T00:00:00.000Z' } });
      got.other = paused;
      expect(await store.loadExclusions()).not.toHaveProperty('other');
      await store.saveExclusions({ gh: paused });
      expect(await store.loadExclusions()).toEqual({ gh: paused });
      await store.saveExclusions({});
      expect(await store.loadExclusions()).toEqual({});
    });

    it('keeps an exclusion whose id is __proto__ as a plain entry', async () => {
      const store = harness.open();
      const odd: Record<string, { reason: string; since: string }> = {};
      Object.defineProperty(odd, '__proto__', { value: { reason: 'x', since: 'y' }, enumerable: true });
      await store.saveExclusions(odd);
      const back = await store.loadExclusions();
      expect(Object.keys(back)).toEqual(['__proto__']);
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    });

    const { reopen } = harness;
    if (reopen !== undefined) {
      it('keeps everything across a restart', async () => {
        const store = harness.open();
        await store.saveManifest({ manifest: MANIFEST, signature: SIGNATURE });
        await store.saveFile('/media/a.png', { sha256: 'a'.repeat(64), body: BINARY, verifiedAt: '2026-12-01T00:00:00.000Z' });
        await store.saveExclusions({ gh: { reason: 'tampered', since: '2026-12-01T00:00:00.000Z' } });
        const again = reopen();
        expect(await again.loadManifest()).toEqual({ manifest: MANIFEST, signature: SIGNATURE });
        expect(await again.loadFile('/media/a.png')).toEqual({
          sha256: 'a'.repeat(64),
          body: BINARY,
          verifiedAt: '2026-12-01T00:00:00.000Z',
        });
        expect(await again.loadExclusions()).toEqual({ gh: { reason: 'tampered', since: '2026-12-01T00:00:00.000Z' } });
        // A restarted edge that verifies the same file again and saves it finds it unchanged.
        await again.saveFile('/media/a.png', { sha256: 'a'.repeat(64), body: BINARY, verifiedAt: '2026-12-02T00:00:00.000Z' });
        expect((await reopen().loadFile('/media/a.png'))?.body).toEqual(BINARY);
      });
    }
  });
}
