// Real probes through runCheckRound: loopback mirrors (good, tampered, refusing, serving a block
// page), the origin, the memory health store. The round's verdicts and states are what the
// probes saw, and the canonical moves off the tampered mirror in the same round.
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { createProber } from '../../src/adapters/probes/create-prober.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/core/health/health-state.ts';
import { ORIGIN_TARGET } from '../../src/core/health/observation.ts';
import { runCheckRound, type CheckTarget, type RoundPolicies } from '../../src/health/check-round.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';
import { refusedPort, startPageServer, startSnapshotServer, type SnapshotServer } from '../helpers/probe-servers.ts';

const KEYS = testKeyPair(9);
const POLICIES: RoundPolicies = {
  health: DEFAULT_HEALTH_POLICY,
  round: { quorum: 2 },
  canonical: { cooldownMs: 30 * 60_000 },
  reportWindowMs: 15 * 60_000,
};

const servers: SnapshotServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('runCheckRound with the local prober', () => {
  it('combines real probes into the right verdicts and moves the canonical off a tampered mirror', async () => {
    const snap = makeSignedSnapshot(sampleFiles(), {
      version: 2,
      keyPair: KEYS,
      now: new Date(),
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://a.example/',
    });
    const a = await startSnapshotServer(snap);
    const b = await startSnapshotServer(snap);
    const blockedMirror = await startSnapshotServer(snap, { fault: 'blockpage' });
    const origin = await startPageServer('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>tag:1</id></feed>', {
      'content-type': 'application/atom+xml',
    });
    servers.push(a, b, blockedMirror, origin);
    const down = `http://127.0.0.1:${await refusedPort()}/`;
    const targets: CheckTarget[] = [
      { id: 'a', url: a.url, role: 'mirror', priority: 1, canonicalAllowed: true },
      { id: 'b', url: b.url, role: 'mirror', priority: 2, canonicalAllowed: true },
      { id: 'down', url: down, role: 'mirror', priority: 3, canonicalAllowed: true },
      { id: 'censored', url: blockedMirror.url, role: 'mirror', priority: 0, canonicalAllowed: true },
      { id: ORIGIN_TARGET, url: `${origin.url}feeds/posts/default`, role: 'origin', priority: 0, canonicalAllowed: false },
    ];
    const prober = createProber({ publicKey: KEYS.publicKey, dohUrl: null, timeouts: { connectMs: 800, httpMs: 1_500, totalMs: 4_000 } });
    const store = createMemoryHealthStore();
    const vantage = { id: 'local', kind: 'local' as const };

    const first = await runCheckRound({ targets, prober, store, vantage, policies: POLICIES, round: 0 });
    expect(Object.fromEntries(first.verdicts.map((v) => [v.target, v.verdict]))).toEqual({
      a: 'healthy',
      b: 'healthy',
      down: 'unreachable',
      censored: 'blocked',
      [ORIGIN_TARGET]: 'healthy',
    });
    expect(first.canonical.id).toBe('a');
    expect(first.verdicts.find((v) => v.target === 'down')?.evidence.map((e) => e.code)).toEqual(['tcp-refused']);

    a.setFault('tamper');
    const second = await runCheckRound({ targets, prober, store, vantage, policies: POLICIES, round: 1 });
    expect(second.states.find((s) => s.target === 'a')?.state).toBe('compromised'); // at once, no hysteresis
    expect(
      second.verdicts
        .find((v) => v.target === 'a')
        ?.evidence.some((e) => e.layer === 'integrity' && e.points === 'compromised' && e.confirmed === true),
    ).toBe(true);
    expect(second.canonical).toMatchObject({ id: 'b', changed: true });
    expect(await store.loadCanonical()).toMatchObject({ id: 'b' });
  });
});
