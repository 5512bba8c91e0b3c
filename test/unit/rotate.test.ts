// Rotation after a round, over the memory health store: the snapshot is republished when the
// canonical moved or a mirror was found compromised (and only then), and the edge's exclusions
// follow the checker without lifting a maintainer's pause.
import { describe, expect, it } from 'vitest';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import type { TargetState } from '../../src/core/health/health-state.ts';
import type { Verdict } from '../../src/core/health/observation.ts';
import type { MirrorRef } from '../../src/core/model.ts';
import type { SignedChoice } from '../../src/core/health/publish-choice.ts';
import { CHECKER_REASON, currentChoice, rotate } from '../../src/health/rotate.ts';

const MIRRORS: MirrorRef[] = [
  { id: 'a', kind: 'http', url: 'https://a.example/', priority: 1 },
  { id: 'b', kind: 'http', url: 'https://b.example/', priority: 2 },
];
const AT = '2026-12-01T00:00:00.000Z';

function state(target: string, s: Verdict): TargetState {
  const evidence =
    s === 'compromised'
      ? [
          {
            layer: 'integrity' as const,
            code: 'integrity-mismatch',
            message: '/index.html does not match',
            points: 'compromised' as const,
            confirmed: true,
          },
        ]
      : [];
  return { target, state: s, since: AT, streak: 0, lastRoundAt: AT, evidence, blockedIn: [] };
}

async function storeWith(states: Record<string, Verdict>, canonical: string | undefined) {
  const store = createMemoryHealthStore();
  await store.recordRound({
    startedAt: AT,
    finishedAt: AT,
    results: [],
    states: Object.entries(states).map(([id, s]) => state(id, s)),
    transitions: [],
    canonical: { from: undefined, to: canonical, at: AT, reason: 'test', record: { id: canonical, since: AT, reason: 'test' } },
  });
  return store;
}

function exclusions(initial: Array<{ id: string; reason: string }> = []) {
  const list = [...initial];
  return {
    list: () => [...list],
    exclude: (id: string, reason: string) => void list.push({ id, reason }),
    include: (id: string) =>
      void list.splice(
        list.findIndex((e) => e.id === id),
        1,
      ),
    ids: () => list.map((e) => e.id),
  };
}

describe('rotate', () => {
  it('republishes with the new canonical when the signed one is not it, and not again once it is', async () => {
    const store = await storeWith({ a: 'unreachable', b: 'healthy' }, 'b');
    let signed: SignedChoice = { canonical: 'https://a.example/', mirrorIds: ['a', 'b'] };
    const reasons: string[] = [];
    const deps = {
      mirrors: MIRRORS,
      store,
      readSigned: async () => signed,
      republish: async (reason: string) => {
        reasons.push(reason);
        const choice = await currentChoice(store, MIRRORS);
        signed = { canonical: choice.canonical ?? '', mirrorIds: choice.mirrors.map((m) => m.id) };
        return { outcome: 'published', version: 2 };
      },
    };
    expect((await rotate(deps)).republished).toEqual({
      reason: 'the canonical moves from https://a.example/ to https://b.example/',
      outcome: 'published',
      version: 2,
    });
    expect((await rotate(deps)).republished).toBeUndefined();
    expect(reasons).toHaveLength(1);
  });

  it('drops a compromised mirror from the signed list and from the edge at once, keeping a maintainer pause', async () => {
    const store = await storeWith({ a: 'compromised', b: 'healthy' }, 'b');
    const edge = exclusions([{ id: 'c', reason: 'paused by a maintainer' }]);
    const result = await rotate({
      mirrors: MIRRORS,
      store,
      readSigned: async () => ({ canonical: 'https://b.example/', mirrorIds: ['a', 'b'] }),
      republish: async () => ({ outcome: 'published' }),
      exclusions: edge,
    });
    expect(result.republished?.reason).toBe("the mirror list drops 'a' (compromised)");
    expect(result.excluded).toEqual(['a']);
    expect(edge.list().find((e) => e.id === 'a')?.reason).toMatch(
      new RegExp(`^${CHECKER_REASON}compromised since ${AT}: /index.html does not match`),
    );
    expect(edge.ids()).toEqual(['c', 'a']);
  });

  it('asks a mirror again once a maintainer cleared its compromised state, never lifting a pause', async () => {
    const store = await storeWith({ b: 'healthy' }, 'b');
    const edge = exclusions([
      { id: 'a', reason: `${CHECKER_REASON}compromised since ${AT}` },
      { id: 'c', reason: 'paused by a maintainer' },
    ]);
    const result = await rotate({
      mirrors: MIRRORS,
      store,
      readSigned: async () => ({ canonical: 'https://b.example/', mirrorIds: ['a', 'b'] }),
      republish: async () => ({ outcome: 'published' }),
      exclusions: edge,
    });
    expect(result).toEqual({ excluded: [], included: ['a'] });
    expect(edge.ids()).toEqual(['c']);
  });
});
