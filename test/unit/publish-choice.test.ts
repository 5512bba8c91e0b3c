// What the next snapshot signs after a health round (canonical, public mirror list) and when the
// current snapshot no longer matches it.
import { describe, expect, it } from 'vitest';
import { choosePublish, publishDrift } from '../../src/core/health/publish-choice.ts';
import type { Verdict } from '../../src/core/health/observation.ts';
import type { MirrorRef } from '../../src/core/model.ts';

const MIRRORS: MirrorRef[] = [
  { id: 'a', kind: 'http', url: 'https://a.example/blog', priority: 1 },
  { id: 'b', kind: 'http', url: 'https://b.example/', priority: 2 },
  { id: 'c', kind: 'http', url: 'https://c.example/', priority: 3 },
];
const states = (s: Record<string, Verdict>) => (id: string) => s[id];

describe('choosePublish', () => {
  it('takes the chosen mirror as canonical (with a slash) and lists every mirror', () => {
    const choice = choosePublish(MIRRORS, 'a', states({ a: 'healthy', b: 'blocked' }));
    expect(choice.canonical).toBe('https://a.example/blog/');
    expect(choice.mirrors.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(choice.withheld).toEqual([]);
  });

  it('withholds a compromised mirror from the list readers get', () => {
    const choice = choosePublish(MIRRORS, 'b', states({ a: 'compromised', b: 'healthy' }));
    expect(choice).toEqual({
      canonical: 'https://b.example/',
      mirrors: [MIRRORS[1], MIRRORS[2]],
      withheld: [{ id: 'a', state: 'compromised' }],
    });
  });

  it('keeps the configured canonical when the checker chose none or one not listed', () => {
    expect(choosePublish(MIRRORS, undefined, states({})).canonical).toBeUndefined();
    expect(choosePublish(MIRRORS, 'gone', states({})).canonical).toBeUndefined();
  });
});

describe('publishDrift', () => {
  const choice = choosePublish(MIRRORS, 'b', states({ a: 'compromised', b: 'healthy' }));
  it.each([
    [undefined, 'no snapshot is signed yet'],
    [
      { canonical: 'https://a.example/blog/', mirrorIds: ['b', 'c'] },
      'the canonical moves from https://a.example/blog/ to https://b.example/',
    ],
    [{ canonical: 'https://b.example', mirrorIds: ['a', 'b', 'c'] }, "the mirror list drops 'a' (compromised)"],
    [{ canonical: 'https://b.example/', mirrorIds: ['b'] }, "the mirror list adds 'c'"],
    [{ canonical: 'https://b.example/', mirrorIds: ['b', 'c'] }, undefined],
  ])('signed %j: %s', (signed, drift) => {
    expect(publishDrift(signed, choice)).toBe(drift);
  });

  it('does not drift on the canonical when the checker chose none', () => {
    const none = choosePublish(MIRRORS, undefined, states({}));
    expect(publishDrift({ canonical: 'https://elsewhere.example/', mirrorIds: ['a', 'b', 'c'] }, none)).toBeUndefined();
  });
});
