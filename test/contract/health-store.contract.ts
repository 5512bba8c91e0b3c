// The one contract every HealthStore adapter meets, run per adapter by health-stores.test.ts.
import { describe, expect, it } from 'vitest';
import type { ProbeResult, Verdict } from '../../src/core/health/observation.ts';
import type { TargetState, Transition } from '../../src/core/health/health-state.ts';
import type { HealthStore } from '../../src/ports/health-store.ts';

export interface HealthStoreHarness {
  /** A fresh, empty store with these retention bounds. */
  open: (retention?: { days?: number; maxProbes?: number }) => HealthStore;
  /** The same store opened again (as after a restart), when the adapter persists. */
  reopen?: () => HealthStore;
}

const T0 = Date.parse('2026-12-01T00:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

export function probe(target: string, vantage: string, minutes: number, verdict: Verdict = 'healthy'): ProbeResult {
  return {
    target,
    vantage: vantage === 'local' ? { id: 'local', kind: 'local' } : { id: vantage, kind: 'agent', country: 'CN' },
    at: at(minutes),
    verdict,
    evidence:
      verdict === 'healthy'
        ? []
        : [{ layer: 'tcp', code: 'tcp-refused', message: 'connection refused (127.0.0.1:1)', points: verdict, facts: { port: 1 } }],
    timings: { totalMs: 12.5 },
  };
}

function state(target: string, s: Verdict, minutes: number): TargetState {
  return {
    target,
    state: s,
    since: at(minutes),
    streak: 0,
    lastRoundAt: at(minutes),
    evidence: [],
    blockedIn: s === 'blocked' ? ['CN'] : [],
  };
}

function transition(target: string, from: Verdict | undefined, to: Verdict, minutes: number): Transition {
  return { target, from, to, at: at(minutes), evidence: [], blockedIn: [] };
}

export function healthStoreContract(name: string, harness: HealthStoreHarness): void {
  describe(`health store: ${name}`, () => {
    it('records a round and reads states, results, transitions and the canonical back', async () => {
      const store = harness.open();
      await store.recordRound({
        startedAt: at(0),
        finishedAt: at(1),
        results: [probe('a', 'local', 0), probe('b', 'local', 0, 'unreachable')],
        states: [state('a', 'healthy', 0), state('b', 'unreachable', 0)],
        transitions: [transition('a', undefined, 'healthy', 0), transition('b', undefined, 'unreachable', 0)],
        canonical: {
          from: undefined,
          to: 'a',
          at: at(1),
          reason: 'no canonical yet',
          record: { id: 'a', since: at(1), reason: 'no canonical yet' },
        },
      });
      expect([...(await store.loadStates()).values()].map((s) => [s.target, s.state]).sort()).toEqual([
        ['a', 'healthy'],
        ['b', 'unreachable'],
      ]);
      expect(await store.loadCanonical()).toEqual({ id: 'a', since: at(1), reason: 'no canonical yet' });
      const history = await store.history({ target: 'b' });
      expect(history).toEqual([probe('b', 'local', 0, 'unreachable')]);
      expect((await store.transitions()).map((t) => t.target).sort()).toEqual(['a', 'b']);
      expect(await store.canonicalChanges()).toEqual([{ from: undefined, to: 'a', at: at(1), reason: 'no canonical yet' }]);
      await store.close();
    });

    it('answers the newest result per target and vantage point since a time', async () => {
      const store = harness.open();
      await store.recordResults([probe('a', 'x', 0, 'unreachable'), probe('a', 'x', 5), probe('a', 'y', 1), probe('b', 'x', 2)]);
      await store.recordResults([probe('a', 'y', 6, 'blocked')]);
      const latest = await store.latestResults(at(1));
      expect(latest.map((r) => [r.target, r.vantage.id, r.at, r.verdict])).toEqual([
        ['a', 'x', at(5), 'healthy'],
        ['a', 'y', at(6), 'blocked'],
        ['b', 'x', at(2), 'healthy'],
      ]);
      expect(await store.latestResults(at(10))).toEqual([]);
      await store.close();
    });

    it('answers history newest first, filtered and limited', async () => {
      const store = harness.open();
      await store.recordResults([probe('a', 'local', 1), probe('a', 'local', 3), probe('a', 'local', 2), probe('b', 'local', 4)]);
      expect((await store.history({ target: 'a' })).map((r) => r.at)).toEqual([at(3), at(2), at(1)]);
      expect((await store.history({ limit: 2 })).map((r) => r.at)).toEqual([at(4), at(3)]);
      expect((await store.history({ since: at(3) })).map((r) => r.at)).toEqual([at(4), at(3)]);
      await store.close();
    });

    it('stays bounded: old and surplus probe results are pruned with each round', async () => {
      const store = harness.open({ days: 1, maxProbes: 5 });
      await store.recordResults([probe('a', 'local', -3 * 24 * 60)]);
      for (let i = 0; i < 4; i++) {
        await store.recordRound({
          startedAt: at(i),
          finishedAt: at(i),
          results: [probe('a', 'local', i), probe('b', 'local', i)],
          states: [],
          transitions: [],
        });
      }
      const all = await store.history({ limit: 1000 });
      expect(all).toHaveLength(5);
      expect(all.map((r) => r.at)).not.toContain(at(-3 * 24 * 60));
      expect(all[0]?.at).toBe(at(3));
      await store.close();
    });

    it('forgets a cleared target', async () => {
      const store = harness.open();
      await store.recordRound({
        startedAt: at(0),
        finishedAt: at(0),
        results: [],
        states: [state('a', 'compromised', 0)],
        transitions: [],
      });
      await store.forgetState('a');
      expect((await store.loadStates()).has('a')).toBe(false);
      await store.close();
    });

    it('returns copies: changing an answer changes nothing stored', async () => {
      const store = harness.open();
      await store.recordRound({
        startedAt: at(0),
        finishedAt: at(0),
        results: [probe('a', 'local', 0)],
        states: [state('a', 'healthy', 0)],
        transitions: [],
      });
      const s = (await store.loadStates()).get('a');
      if (s === undefined) throw new Error('state missing');
      s.state = 'compromised';
      const h = await store.history();
      h[0]?.evidence.push({ layer: 'http', code: 'x', message: 'x', points: 'degraded' });
      expect((await store.loadStates()).get('a')?.state).toBe('healthy');
      expect((await store.history())[0]?.evidence).toEqual([]);
      await store.close();
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it('keeps everything across a restart', async () => {
        const store = harness.open();
        await store.recordRound({
          startedAt: at(0),
          finishedAt: at(0),
          results: [probe('a', 'local', 0)],
          states: [state('a', 'blocked', 0)],
          transitions: [transition('a', 'healthy', 'blocked', 0)],
          canonical: { from: 'a', to: 'b', at: at(0), reason: 'r', record: { id: 'b', since: at(0), reason: 'r' } },
        });
        await store.close();
        const again = reopen();
        expect((await again.loadStates()).get('a')).toMatchObject({ state: 'blocked', blockedIn: ['CN'] });
        expect((await again.loadCanonical())?.id).toBe('b');
        expect(await again.history()).toHaveLength(1);
        await again.close();
      });
    }
  });
}
