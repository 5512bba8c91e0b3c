// The one contract every EdgeStateStore adapter meets: run on Node for memory and files by
// edge-states.test.ts, and in workerd for KV by test/worker/edge-state-kv.test.ts.
import { describe, expect, it } from 'vitest';
import type { EdgeStateStore } from '../../src/ports/edge-state.ts';

export interface EdgeStateHarness {
  /** A fresh, empty store. */
  open: () => EdgeStateStore;
  /** The same store opened again (as after a restart, or from another process), when the adapter persists. */
  reopen?: () => EdgeStateStore;
}

export function edgeStateContract(name: string, { open, reopen }: EdgeStateHarness): void {
  describe(`edge state contract: ${name}`, () => {
    it('starts empty', async () => {
      const store = open();
      expect(await store.loadExclusions()).toEqual({});
      expect(await store.loadManifest()).toBeUndefined();
      expect(await store.loadFile('/index.html')).toBeUndefined();
    });

    it('keeps exclusions as saved, replaced whole, and an id such as __proto__ as a plain entry', async () => {
      const store = open();
      const one = { m1: { reason: 'paused by a maintainer', since: '2026-05-01T00:00:00.000Z' } };
      await store.saveExclusions(one);
      expect(await store.loadExclusions()).toEqual(one);
      const odd: Record<string, { reason: string; since: string }> = {};
      Object.defineProperty(odd, '__proto__', { value: { reason: 'x', since: 'y' }, enumerable: true });
      await store.saveExclusions(odd);
      const back = await store.loadExclusions();
      expect(Object.keys(back)).toEqual(['__proto__']);
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      if (reopen) expect(Object.keys(await reopen().loadExclusions())).toEqual(['__proto__']);
    });

    it('keeps the manifest bytes and signature, and verified files', async () => {
      const store = open();
      const manifest = new TextEncoder().encode('{"version":3}');
      await store.saveManifest({ manifest, signature: 'sig-text\n' });
      await store.saveFile('/a b.html', {
        sha256: 'ab'.repeat(32),
        body: new Uint8Array([0, 1, 255]),
        verifiedAt: '2026-05-01T00:00:00.000Z',
      });
      for (const s of reopen ? [store, reopen()] : [store]) {
        expect(await s.loadManifest()).toEqual({ manifest, signature: 'sig-text\n' });
        expect(await s.loadFile('/a b.html')).toEqual({
          sha256: 'ab'.repeat(32),
          body: new Uint8Array([0, 1, 255]),
          verifiedAt: '2026-05-01T00:00:00.000Z',
        });
      }
    });
  });
}
