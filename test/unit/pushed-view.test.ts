// The pushed view's one codec, both directions: what ferry serve sends is cut to the Worker's
// bounds without post bodies and parses back unchanged; anything else is refused, naming where.
import { describe, expect, it } from 'vitest';
import { parsePushedView, toPushedView, ViewShapeError } from '../../src/core/dashboard/pushed-view.ts';
import type { DashboardView, TargetView } from '../../src/ports/dashboard.ts';

const target = (id: string, latencies = [10, 20]): TargetView => ({
  id,
  url: `https://${id}.example.net/`,
  state: 'healthy',
  since: '2026-12-01T00:00:00.000Z',
  evidence: [],
  vantages: [
    { vantage: { id: 'agent-sh', kind: 'agent', country: 'CN' }, verdict: 'healthy', at: '2026-12-01T00:00:00.000Z', evidence: [] },
  ],
  latencies,
  paused: false,
});

const view: DashboardView = {
  mirrors: [
    target(
      'a',
      Array.from({ length: 100 }, (_, i) => i),
    ),
    target('b'),
  ],
  canonical: { id: 'a', since: '2026-12-01T00:00:00.000Z', reason: 'first healthy' },
  publishes: [
    { id: 'r1', trigger: 'manual', started: '2026-12-01T00:00:00.000Z', outcome: 'ok', version: 3, targets: [{ target: 'a', ok: true }] },
  ],
  held: [{ id: 'p1', title: 'Changed', reasons: ['content changed'], published: '<p>old</p>', held: '<p>new</p>' }],
  alerts: [],
  actions: [{ at: '2026-12-01T00:00:00.000Z', who: 'm', action: 'pause b', result: 'Paused b.' }],
};

describe('the pushed view', () => {
  it('drops post bodies, bounds the sparkline and parses back unchanged', () => {
    const doc = toPushedView(view, '2026-12-01T00:05:00.000Z', 300);
    expect(doc.view.held).toEqual([{ id: 'p1', title: 'Changed', reasons: ['content changed'] }]);
    expect(doc.view.mirrors[0]?.latencies).toHaveLength(60);
    expect(doc.view.mirrors[0]?.latencies.at(-1)).toBe(99);
    expect(parsePushedView(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });

  const doc = (): Record<string, unknown> =>
    JSON.parse(JSON.stringify(toPushedView(view, '2026-12-01T00:05:00.000Z', 300))) as Record<string, unknown>;
  /** Where to spoil the document (a path of keys and indexes), and with what (undefined: delete it). */
  const cases: Array<[string, Array<string | number>, unknown, string]> = [
    ['an unknown top field', ['extra'], 1, 'view document: unknown field "extra"'],
    ['a missing view', ['view'], undefined, 'view document: missing "view"'],
    ['another format', ['format'], 'x/2', 'format: expected'],
    ['no interval', ['everySeconds'], 0, 'everySeconds'],
    ['a post body', ['view', 'held', 0, 'held'], '<p>x</p>', 'view.held[0]: unknown field "held"'],
    [
      'an unknown evidence field',
      ['view', 'mirrors', 1, 'evidence'],
      [{ layer: 'http', code: 'x', message: 'm', points: 'degraded', body: 'b' }],
      'view.mirrors[1].evidence[0]: unknown field "body"',
    ],
    [
      'a bad layer',
      ['view', 'mirrors', 1, 'evidence'],
      [{ layer: 'ftp', code: 'x', message: 'm', points: 'degraded' }],
      'view.mirrors[1].evidence[0].layer',
    ],
    ['a bad country', ['view', 'mirrors', 1, 'vantages', 0, 'vantage', 'country'], 'China', 'country'],
    ['too many mirrors', ['view', 'mirrors'], Array.from({ length: 201 }, () => target('c')), 'view.mirrors: at most 200'],
    ['a string latency', ['view', 'mirrors', 0, 'latencies'], ['1'], 'view.mirrors[0].latencies[0]: expected a number'],
    ['a bad time', ['view', 'actions', 0, 'at'], 'yesterday', 'view.actions[0].at'],
  ];
  const spoil = (d: unknown, path: ReadonlyArray<string | number>, value: unknown): void => {
    const [key, ...rest] = path;
    if (key === undefined || typeof d !== 'object' || d === null) throw new Error('bad path');
    const node = d as Record<string | number, unknown>;
    if (rest.length > 0) spoil(node[key], rest, value);
    else if (value === undefined) delete node[key];
    else node[key] = value;
  };
  it.each(cases)('refuses %s', (_name, path, value, message) => {
    const d = doc();
    spoil(d, path, value);
    expect(() => parsePushedView(d)).toThrow(ViewShapeError);
    expect(() => parsePushedView(d)).toThrow(message);
  });
});
