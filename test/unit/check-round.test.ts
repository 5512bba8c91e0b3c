// One health-check round wired end to end over the memory store: probes, other vantage points'
// reports, states with hysteresis, the canonical choice, and what is recorded. The prober here is
// scripted (a test double of our own Prober port: the probes themselves are tested against real
// loopback servers in test/integration/probes*.test.ts).
import { describe, expect, it } from 'vitest';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/core/health/health-state.ts';
import { ORIGIN_TARGET, type Evidence, type ProbeResult, type Verdict } from '../../src/core/health/observation.ts';
import { runCheckRound, type CheckTarget, type RoundPolicies } from '../../src/health/check-round.ts';
import type { Prober } from '../../src/ports/prober.ts';

const POLICIES: RoundPolicies = {
  health: DEFAULT_HEALTH_POLICY,
  round: { quorum: 2 },
  canonical: { cooldownMs: 30 * 60_000 },
  reportWindowMs: 15 * 60_000,
};
const T0 = Date.parse('2026-12-01T00:00:00Z');

const mirror = (id: string, priority: number): CheckTarget => ({
  id,
  url: `https://${id}.example/`,
  role: 'mirror',
  priority,
  canonicalAllowed: true,
});
const TARGETS: CheckTarget[] = [
  mirror('a', 1),
  mirror('b', 2),
  { id: ORIGIN_TARGET, url: 'https://origin.example/feeds/posts/default', role: 'origin', priority: 0, canonicalAllowed: false },
];

const EVIDENCE: Record<Verdict, Evidence[]> = {
  healthy: [],
  degraded: [{ layer: 'http', code: 'slow', message: 'slow', points: 'degraded' }],
  unreachable: [{ layer: 'tcp', code: 'tcp-refused', message: 'refused', points: 'unreachable' }],
  blocked: [{ layer: 'blockpage', code: 'blockpage-fingerprint', message: 'block page', points: 'blocked', confirmed: true }],
  compromised: [
    { layer: 'integrity', code: 'integrity-mismatch', message: '/index.html does not match', points: 'compromised', confirmed: true },
  ],
};

/** Answers each target with the verdict the script gives it now. */
function scripted(verdicts: () => Record<string, Verdict>, clock: () => Date): Prober {
  return {
    async probe(target, { vantage }) {
      const verdict = verdicts()[target.id] ?? 'healthy';
      return { target: target.id, vantage, at: clock().toISOString(), verdict, evidence: EVIDENCE[verdict] };
    },
  };
}

describe('runCheckRound', () => {
  it('records states, transitions and the first canonical; the origin is never canonical', async () => {
    const store = createMemoryHealthStore();
    const clock = (): Date => new Date(T0);
    const outcome = await runCheckRound({
      targets: TARGETS,
      prober: scripted(() => ({}), clock),
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: POLICIES,
      round: 0,
      now: clock,
    });
    expect(outcome.states.map((s) => [s.target, s.state])).toEqual([
      ['a', 'healthy'],
      ['b', 'healthy'],
      [ORIGIN_TARGET, 'healthy'],
    ]);
    expect(outcome.canonical).toMatchObject({ id: 'a', changed: true });
    expect(await store.loadCanonical()).toMatchObject({ id: 'a' });
    expect(await store.history({ limit: 10 })).toHaveLength(3);
    expect(await store.canonicalChanges()).toHaveLength(1);
  });

  it('moves the canonical within the same round when it serves tampered bytes, and not back on one good round', async () => {
    const store = createMemoryHealthStore();
    let t = T0;
    const clock = (): Date => new Date(t);
    let script: Record<string, Verdict> = {};
    const run = (round: number) =>
      runCheckRound({
        targets: TARGETS,
        prober: scripted(() => script, clock),
        store,
        vantage: { id: 'local', kind: 'local' },
        policies: POLICIES,
        round,
        now: clock,
      });
    await run(0);
    t += 300_000;
    script = { a: 'compromised' };
    const bad = await run(1);
    expect(bad.transitions).toMatchObject([{ target: 'a', from: 'healthy', to: 'compromised' }]);
    expect(bad.canonical).toMatchObject({ id: 'b', changed: true });
    expect(bad.previousCanonical?.id).toBe('a');
    t += 300_000;
    script = {};
    const after = await run(2);
    expect(after.canonical).toMatchObject({ id: 'b', changed: false });
    expect(after.states.find((s) => s.target === 'a')?.state).toBe('compromised');
  });

  it('counts reports from other vantage points: two agents in CN make a mirror blocked there', async () => {
    const store = createMemoryHealthStore();
    const clock = (): Date => new Date(T0);
    const report = (agent: string, target: string): ProbeResult => ({
      target,
      vantage: { id: agent, kind: 'agent', country: 'CN' },
      at: new Date(T0 - 60_000).toISOString(),
      verdict: 'unreachable',
      evidence: [{ layer: 'dns', code: 'dns-bogon', message: 'bogon answer', points: 'blocked' }],
    });
    await store.recordResults([report('x', 'a'), report('y', 'a'), report('x', 'b')]);
    const outcome = await runCheckRound({
      targets: TARGETS,
      prober: scripted(() => ({}), clock),
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: POLICIES,
      round: 0,
      now: clock,
    });
    expect(outcome.verdicts.find((v) => v.target === 'a')).toMatchObject({ verdict: 'blocked', blockedIn: ['CN'] });
    expect(outcome.verdicts.find((v) => v.target === 'b')?.verdict).toBe('healthy');
    expect(outcome.canonical.id).toBe('b');
  });

  it('ignores reports older than the window, and never chooses a paused mirror', async () => {
    const store = createMemoryHealthStore();
    const clock = (): Date => new Date(T0);
    await store.recordResults([
      {
        target: 'b',
        vantage: { id: 'x', kind: 'agent', country: 'CN' },
        at: new Date(T0 - 3_600_000).toISOString(),
        verdict: 'blocked',
        evidence: EVIDENCE.blocked,
      },
    ]);
    const outcome = await runCheckRound({
      targets: TARGETS,
      prober: scripted(() => ({}), clock),
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: POLICIES,
      round: 0,
      now: clock,
      paused: new Set(['a']),
    });
    expect(outcome.verdicts.find((v) => v.target === 'b')?.verdict).toBe('healthy');
    expect(outcome.canonical.id).toBe('b');
  });

  it('a prober that throws judges nothing as down', async () => {
    const store = createMemoryHealthStore();
    const prober: Prober = {
      probe: async () => {
        throw new Error('bug');
      },
    };
    const outcome = await runCheckRound({
      targets: [mirror('a', 1)],
      prober,
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: POLICIES,
      round: 0,
      now: () => new Date(T0),
    });
    expect(outcome.results[0]?.evidence[0]).toMatchObject({ code: 'probe-failed', message: expect.stringContaining('bug') });
    expect(outcome.states[0]?.state).toBe('degraded');
  });
});
