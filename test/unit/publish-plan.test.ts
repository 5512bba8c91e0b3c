import { describe, expect, it } from 'vitest';
import { planPublish } from '../../src/core/publish-plan.ts';

const M = '/manifest.json';
const S = '/manifest.json.sig';
const NM = '/manifest.next.json';
const NS = '/manifest.next.json.sig';

describe('planPublish', () => {
  const cases: {
    name: string;
    want: Record<string, string>;
    have: Record<string, string | undefined>;
    keep?: string[];
    upload: string[];
    del: string[];
    unchanged: string[];
  }[] = [
    {
      name: 'empty target: everything, signature then manifest last',
      want: { [S]: 's1', '/b.html': 'b', [M]: 'm1', '/a.html': 'a' },
      have: {},
      upload: ['/a.html', '/b.html', S, M],
      del: [],
      unchanged: [],
    },
    {
      name: 'an in-place mirror: the announcement first, then content, then signature and manifest',
      want: { '/b.html': 'b2', [M]: 'm2', [S]: 's2', [NM]: 'm2', [NS]: 's2' },
      have: { '/b.html': 'b', [M]: 'm1', [S]: 's1', [NM]: 'm1', [NS]: 's1' },
      upload: [NS, NM, '/b.html', S, M],
      del: [],
      unchanged: [],
    },
    {
      name: 'same snapshot: nothing',
      want: { '/a.html': 'a', [M]: 'm1', [S]: 's1' },
      have: { '/a.html': 'a', [M]: 'm1', [S]: 's1' },
      upload: [],
      del: [],
      unchanged: ['/a.html', M, S],
    },
    {
      name: 'one change, one removal, a kept foreign file',
      want: { '/a.html': 'a2', '/b.html': 'b', [M]: 'm2', [S]: 's2' },
      have: { '/a.html': 'a', '/b.html': 'b', '/old.html': 'o', '/CNAME': 'c', [M]: 'm1', [S]: 's1' },
      keep: ['/CNAME'],
      upload: ['/a.html', S, M],
      del: ['/old.html'],
      unchanged: ['/b.html'],
    },
    {
      name: 'unknown digest on the target is uploaded again',
      want: { '/a.html': 'a', [M]: 'm1', [S]: 's1' },
      have: { '/a.html': undefined, [M]: 'm1', [S]: 's1' },
      upload: ['/a.html'],
      del: [],
      unchanged: [M, S],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planPublish(new Map(Object.entries(c.want)), new Map(Object.entries(c.have)), new Set(c.keep ?? []));
      expect(plan).toEqual({ upload: c.upload, delete: c.del, unchanged: c.unchanged });
    });
  }
});
