// The one contract every AgentRegistry adapter meets, run per adapter by agent-registries.test.ts.
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/core/bytes.ts';
import { AgentEnrollmentError, type EnrolledAgent } from '../../src/core/health/agent-report.ts';
import { generateKeyPair, keyFingerprint } from '../../src/core/manifest.ts';
import type { AgentRegistry } from '../../src/ports/agent-registry.ts';

export interface AgentRegistryHarness {
  open: () => AgentRegistry;
  /** The same registry opened again (as after a restart), when the adapter persists. */
  reopen?: () => AgentRegistry;
}

const keys = [1, 2, 3].map((n) => generateKeyPair(new Uint8Array(32).fill(n)).publicKey);
const agent = (id: string, key: number, country = 'CN'): EnrolledAgent => ({
  id,
  publicKey: toBase64(keys[key] ?? new Uint8Array(32)),
  country,
  enrolledAt: '2026-12-01T00:00:00.000Z',
});
const fp = (key: number): string => keyFingerprint(keys[key] ?? new Uint8Array(32));

export function agentRegistryContract(name: string, harness: AgentRegistryHarness): void {
  describe(`agent registry: ${name}`, () => {
    it('enrolls, lists by name, finds by key fingerprint, removes', async () => {
      const reg = harness.open();
      await reg.enroll(agent('zeta', 0));
      await reg.enroll(agent('alpha', 1, 'IR'));
      expect((await reg.list()).map((a) => [a.id, a.country])).toEqual([
        ['alpha', 'IR'],
        ['zeta', 'CN'],
      ]);
      expect(await reg.byKey(fp(1))).toEqual(agent('alpha', 1, 'IR'));
      expect(await reg.byKey(fp(2))).toBeUndefined();
      expect(await reg.remove('alpha')).toBe(true);
      expect(await reg.remove('alpha')).toBe(false);
      expect(await reg.byKey(fp(1))).toBeUndefined();
      expect((await reg.list()).map((a) => a.id)).toEqual(['zeta']);
      await reg.close();
    });

    it('refuses a name or a key that is enrolled already', async () => {
      const reg = harness.open();
      await reg.enroll(agent('one', 0));
      await expect(reg.enroll(agent('one', 1))).rejects.toThrow(AgentEnrollmentError);
      await expect(reg.enroll(agent('two', 0))).rejects.toThrow(/enrolled already, as 'one'/);
      expect((await reg.list()).map((a) => a.id)).toEqual(['one']);
      await reg.close();
    });

    it('claims a nonce once per key, and forgets it once it expired', async () => {
      const reg = harness.open();
      const until = '2026-12-01T00:12:00.000Z';
      expect(await reg.claimNonce(fp(0), 'nonce-aaaaaaaaaaaa', until, '2026-12-01T00:00:00.000Z')).toBe(true);
      expect(await reg.claimNonce(fp(0), 'nonce-aaaaaaaaaaaa', until, '2026-12-01T00:05:00.000Z')).toBe(false);
      expect(await reg.claimNonce(fp(1), 'nonce-aaaaaaaaaaaa', until, '2026-12-01T00:05:00.000Z')).toBe(true);
      expect(await reg.claimNonce(fp(0), 'nonce-aaaaaaaaaaaa', until, '2026-12-01T00:13:00.000Z')).toBe(true);
      await reg.close();
    });

    it('answers copies: changing an answer changes nothing stored', async () => {
      const reg = harness.open();
      await reg.enroll(agent('one', 0));
      const [listed] = await reg.list();
      if (listed === undefined) throw new Error('nothing listed');
      listed.country = 'IR';
      expect((await reg.byKey(fp(0)))?.country).toBe('CN');
      await reg.close();
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it('keeps enrollments and nonces across a restart', async () => {
        const reg = harness.open();
        await reg.enroll(agent('one', 2, 'RU'));
        await reg.claimNonce(fp(2), 'nonce-bbbbbbbbbbbb', '2026-12-01T00:12:00.000Z', '2026-12-01T00:00:00.000Z');
        await reg.close();
        const again = reopen();
        expect(await again.byKey(fp(2))).toEqual(agent('one', 2, 'RU'));
        expect(await again.claimNonce(fp(2), 'nonce-bbbbbbbbbbbb', '2026-12-01T00:12:00.000Z', '2026-12-01T00:01:00.000Z')).toBe(false);
        await again.close();
      });
    }
  });
}
