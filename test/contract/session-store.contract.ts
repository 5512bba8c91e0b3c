// One contract for every dashboard session store (memory on Node, KV on Workers): a session is
// found until it expires or is deleted, flashes survive a put, garbage never comes back as a session.
import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/ports/dashboard.ts';

export function sessionStoreContract(name: string, make: (now: () => Date) => SessionStore | Promise<SessionStore>): void {
  describe(`session store contract: ${name}`, () => {
    const t0 = Date.parse('2026-12-07T10:00:00Z');
    const session = { csrf: 'c'.repeat(64), who: 'maintainer-abcdef', expires: new Date(t0 + 3600_000).toISOString() };

    it('finds a session it was given, and not one it was not', async () => {
      const store = await make(() => new Date(t0));
      await store.put('a'.repeat(64), session);
      expect(await store.get('a'.repeat(64))).toEqual(session);
      expect(await store.get('b'.repeat(64))).toBeUndefined();
    });

    it('keeps the flash message with the session', async () => {
      const store = await make(() => new Date(t0));
      await store.put('d'.repeat(64), { ...session, flash: { ok: false, message: '暂停失败' } });
      expect((await store.get('d'.repeat(64)))?.flash).toEqual({ ok: false, message: '暂停失败' });
    });

    it('forgets a deleted session (sign-out ends it on the server)', async () => {
      const store = await make(() => new Date(t0));
      await store.put('e'.repeat(64), session);
      await store.delete('e'.repeat(64));
      expect(await store.get('e'.repeat(64))).toBeUndefined();
    });

    it('does not return a session past its expiry', async () => {
      let now = t0;
      const store = await make(() => new Date(now));
      await store.put('f'.repeat(64), session);
      now = t0 + 3600_000;
      expect(await store.get('f'.repeat(64))).toBeUndefined();
    });
  });
}
