// Which alerts go out, over sequences of rounds: a problem once, repeats at the interval while it
// lasts, a recovery when it ends, a changed problem, canonical moves, the origin, failed deliveries
// planned again, a restart keeping the interval; and the bilingual words of each.
import { describe, expect, it } from 'vitest';
import {
  CANONICAL_TOPIC,
  MAX_EVIDENCE_PER_ITEM,
  planAlerts,
  type AlertPolicy,
  type AlertRecipient,
  type Told,
} from '../../src/core/health/alert-plan.ts';
import { MAX_SUBJECT, renderAlert } from '../../src/core/health/alert-text.ts';
import type { CanonicalRecord } from '../../src/core/health/choose-canonical.ts';
import type { TargetState } from '../../src/core/health/health-state.ts';
import { ORIGIN_TARGET, type Evidence, type Verdict } from '../../src/core/health/observation.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const POLICY: AlertPolicy = { repeatEverySeconds: 3600, degraded: false };

interface Step {
  /** Minutes after T0. */
  t: number;
  states: Record<string, Verdict>;
  canonical?: string | null;
  /** Deliveries fail this round (default: they succeed). */
  fail?: boolean;
  /** Expected items per alerter 'a' as "kind:topic[:state]" (worst first); [] for no message. */
  expect: string[];
}

const evidence = (v: Verdict): Evidence[] =>
  v === 'healthy' ? [] : [{ layer: 'tcp', code: `tcp-${v}`, message: `seen ${v}`, points: v, facts: { port: 443 } }];

/** Runs the steps through planAlerts, keeping the log and the states' `since` as the checker would. */
function run(steps: readonly Step[], policy: AlertPolicy = POLICY): string[][] {
  let told: Told[] = [];
  const since = new Map<string, { state: Verdict; since: string }>();
  let canonical: CanonicalRecord | undefined;
  const out: string[][] = [];
  for (const step of steps) {
    const now = at(step.t);
    const states: TargetState[] = Object.entries(step.states).map(([target, state]) => {
      const prev = since.get(target);
      const s = prev !== undefined && prev.state === state ? prev.since : now;
      since.set(target, { state, since: s });
      return {
        target,
        state,
        since: s,
        streak: 0,
        lastRoundAt: now,
        evidence: evidence(state),
        blockedIn: state === 'blocked' ? ['CN'] : [],
      };
    });
    for (const target of [...since.keys()]) if (!(target in step.states)) since.delete(target);
    if (step.canonical !== undefined && (canonical === undefined || canonical.id !== (step.canonical ?? undefined))) {
      canonical = { id: step.canonical ?? undefined, since: now, reason: `chose ${step.canonical ?? 'none'}` };
    }
    const recipients: AlertRecipient[] = [{ id: 'a', policy }];
    const plan = planAlerts({ told, states, canonical, recipients, now });
    const apply = (list: readonly Told[]): void => {
      const key = (x: Told): string => `${x.alerter}\0${x.topic}`;
      const keys = new Set(list.map(key));
      told = [...told.filter((x) => !keys.has(key(x))), ...list];
    };
    apply(plan.remember);
    const sent = plan.send[0];
    out.push(
      sent === undefined
        ? []
        : sent.message.items.map((i) =>
            i.kind === 'canonical'
              ? `canonical:${i.from === undefined ? '?' : (i.from ?? 'none')}->${i.to ?? 'none'}`
              : `${i.kind}:${i.target ?? ''}:${i.state ?? 'gone'}`,
          ),
    );
    if (sent !== undefined && step.fail !== true) apply(sent.told);
  }
  return out;
}

describe('planAlerts over sequences', () => {
  it.each<[string, Step[], AlertPolicy?]>([
    [
      'all healthy from the start: nothing, and the first canonical is only remembered',
      [
        { t: 0, states: { m1: 'healthy', m2: 'healthy' }, canonical: 'm1', expect: [] },
        { t: 5, states: { m1: 'healthy', m2: 'healthy' }, expect: [] },
      ],
    ],
    [
      'a problem is told once, repeated each interval while it lasts, and its end is told once',
      [
        { t: 0, states: { m1: 'healthy' }, expect: [] },
        { t: 5, states: { m1: 'unreachable' }, expect: ['problem:m1:unreachable'] },
        { t: 10, states: { m1: 'unreachable' }, expect: [] },
        { t: 64, states: { m1: 'unreachable' }, expect: [] },
        { t: 65, states: { m1: 'unreachable' }, expect: ['repeat:m1:unreachable'] },
        { t: 100, states: { m1: 'unreachable' }, expect: [] },
        { t: 125, states: { m1: 'unreachable' }, expect: ['repeat:m1:unreachable'] },
        { t: 130, states: { m1: 'healthy' }, expect: ['recovery:m1:healthy'] },
        { t: 135, states: { m1: 'healthy' }, expect: [] },
        { t: 300, states: { m1: 'healthy' }, expect: [] },
      ],
    ],
    [
      'repeatEverySeconds 0 never repeats',
      [
        { t: 0, states: { m1: 'blocked' }, expect: ['problem:m1:blocked'] },
        { t: 600, states: { m1: 'blocked' }, expect: [] },
        { t: 601, states: { m1: 'healthy' }, expect: ['recovery:m1:healthy'] },
      ],
      { repeatEverySeconds: 0, degraded: false },
    ],
    [
      'one problem turning into another is told (not a recovery), and the repeat clock restarts',
      [
        { t: 0, states: { m1: 'unreachable' }, expect: ['problem:m1:unreachable'] },
        { t: 30, states: { m1: 'blocked' }, expect: ['problem:m1:blocked'] },
        { t: 70, states: { m1: 'blocked' }, expect: [] },
        { t: 90, states: { m1: 'blocked' }, expect: ['repeat:m1:blocked'] },
        { t: 95, states: { m1: 'compromised' }, expect: ['problem:m1:compromised'] },
      ],
    ],
    [
      'degraded is no problem by default; going from a problem to degraded is a recovery',
      [
        { t: 0, states: { m1: 'degraded' }, expect: [] },
        { t: 5, states: { m1: 'unreachable' }, expect: ['problem:m1:unreachable'] },
        { t: 10, states: { m1: 'degraded' }, expect: ['recovery:m1:degraded'] },
      ],
    ],
    [
      'an alerter that asks for degraded gets it as a problem',
      [
        { t: 0, states: { m1: 'degraded' }, expect: ['problem:m1:degraded'] },
        { t: 5, states: { m1: 'healthy' }, expect: ['recovery:m1:healthy'] },
      ],
      { repeatEverySeconds: 3600, degraded: true },
    ],
    [
      'a failed delivery is planned again next round, the same until it is delivered',
      [
        { t: 0, states: { m1: 'unreachable' }, fail: true, expect: ['problem:m1:unreachable'] },
        { t: 5, states: { m1: 'unreachable' }, fail: true, expect: ['problem:m1:unreachable'] },
        { t: 10, states: { m1: 'unreachable' }, expect: ['problem:m1:unreachable'] },
        { t: 15, states: { m1: 'unreachable' }, expect: [] },
      ],
    ],
    [
      'a problem that began and ended while deliveries failed is not recovered from (it was never told)',
      [
        { t: 0, states: { m1: 'unreachable' }, fail: true, expect: ['problem:m1:unreachable'] },
        { t: 5, states: { m1: 'healthy' }, expect: [] },
      ],
    ],
    [
      'a failed recovery is planned again, and the problem is not repeated meanwhile',
      [
        { t: 0, states: { m1: 'unreachable' }, expect: ['problem:m1:unreachable'] },
        { t: 61, states: { m1: 'healthy' }, fail: true, expect: ['recovery:m1:healthy'] },
        { t: 66, states: { m1: 'healthy' }, expect: ['recovery:m1:healthy'] },
        { t: 200, states: { m1: 'healthy' }, expect: [] },
      ],
    ],
    [
      'several at once go in one message, worst first, the origin first among equals',
      [
        {
          t: 0,
          states: { a1: 'healthy', m1: 'unreachable', m2: 'compromised', [ORIGIN_TARGET]: 'unreachable' },
          expect: ['problem:m2:compromised', `problem:${ORIGIN_TARGET}:unreachable`, 'problem:m1:unreachable'],
        },
        {
          t: 61,
          states: { a1: 'blocked', m1: 'healthy', m2: 'compromised', [ORIGIN_TARGET]: 'unreachable' },
          expect: ['problem:a1:blocked', 'repeat:m2:compromised', `repeat:${ORIGIN_TARGET}:unreachable`, 'recovery:m1:healthy'],
        },
      ],
    ],
    [
      'the origin becoming blocked or compromised is told like a mirror',
      [
        { t: 0, states: { [ORIGIN_TARGET]: 'healthy' }, expect: [] },
        { t: 5, states: { [ORIGIN_TARGET]: 'compromised' }, expect: [`problem:${ORIGIN_TARGET}:compromised`] },
      ],
    ],
    [
      'a mirror removed from the list while in trouble is told as no longer checked',
      [
        { t: 0, states: { m1: 'unreachable', m2: 'healthy' }, expect: ['problem:m1:unreachable'] },
        { t: 5, states: { m2: 'healthy' }, expect: ['recovery:m1:gone'] },
        { t: 10, states: { m2: 'healthy' }, expect: [] },
      ],
    ],
    [
      'a canonical move is told once, with where it came from; a move back too',
      [
        { t: 0, states: { m1: 'healthy', m2: 'healthy' }, canonical: 'm1', expect: [] },
        { t: 5, states: { m1: 'compromised', m2: 'healthy' }, canonical: 'm2', expect: ['problem:m1:compromised', 'canonical:m1->m2'] },
        { t: 10, states: { m1: 'compromised', m2: 'healthy' }, canonical: 'm2', expect: [] },
      ],
    ],
    [
      'a move back and forth while deliveries failed is nothing to tell',
      [
        { t: 0, states: { m1: 'healthy', m2: 'healthy' }, canonical: 'm1', expect: [] },
        { t: 5, states: { m1: 'healthy', m2: 'healthy' }, canonical: 'm2', fail: true, expect: ['canonical:m1->m2'] },
        { t: 10, states: { m1: 'healthy', m2: 'healthy' }, canonical: 'm1', expect: [] },
      ],
    ],
    [
      'no mirror may be canonical: told even to an alerter that never saw a canonical',
      [{ t: 0, states: { m1: 'blocked' }, canonical: null, expect: ['problem:m1:blocked', 'canonical:?->none'] }],
    ],
  ])('%s', (_name, steps, policy) => {
    expect(run(steps, policy)).toEqual(steps.map((s) => s.expect));
  });
});

describe('planAlerts details', () => {
  const state = (target: string, s: Verdict, since: string, ev: Evidence[] = evidence(s)): TargetState => ({
    target,
    state: s,
    since,
    streak: 0,
    lastRoundAt: since,
    evidence: ev,
    blockedIn: s === 'blocked' ? ['CN', 'IR'] : [],
  });

  it('plans per alerter: each has its own interval and log', () => {
    const told: Told[] = [
      { alerter: 'hourly', topic: 'm1', kind: 'problem', state: 'blocked', since: at(0), problemSince: at(0), at: at(0) },
      { alerter: 'daily', topic: 'm1', kind: 'problem', state: 'blocked', since: at(0), problemSince: at(0), at: at(0) },
    ];
    const plan = planAlerts({
      told,
      states: [state('m1', 'blocked', at(0))],
      canonical: undefined,
      recipients: [
        { id: 'hourly', policy: { repeatEverySeconds: 3600, degraded: false } },
        { id: 'daily', policy: { repeatEverySeconds: 86_400, degraded: false } },
        { id: 'new', policy: POLICY },
      ],
      now: at(90),
    });
    expect(plan.send.map((p) => [p.message.alerter, p.message.items.map((i) => i.kind)])).toEqual([
      ['hourly', ['repeat']],
      ['new', ['problem']],
    ]);
    const repeat = plan.send[0];
    expect(repeat?.told).toEqual([
      { alerter: 'hourly', topic: 'm1', kind: 'repeat', state: 'blocked', since: at(0), problemSince: at(0), at: at(90) },
    ]);
    expect(repeat?.message.items[0]?.blockedIn).toEqual(['CN', 'IR']);
  });

  it('keeps the worst evidence, at most a few pieces, and names the address', () => {
    const many: Evidence[] = [
      { layer: 'http', code: 'ok', message: 'fine', points: 'healthy' },
      ...Array.from({ length: 8 }, (_, i): Evidence => ({ layer: 'tcp', code: `slow-${i}`, message: 'slow', points: 'degraded' })),
      { layer: 'integrity', code: 'integrity-mismatch', message: 'index.html digest differs', points: 'compromised', confirmed: true },
    ];
    const plan = planAlerts({
      told: [],
      states: [state('m1', 'compromised', at(0), many)],
      canonical: undefined,
      recipients: [{ id: 'a', policy: POLICY }],
      now: at(1),
      urls: { m1: 'https://m1.example.org/' },
    });
    const item = plan.send[0]?.message.items[0];
    expect(item?.url).toBe('https://m1.example.org/');
    expect(item?.evidence).toHaveLength(MAX_EVIDENCE_PER_ITEM);
    expect(item?.evidence[0]?.code).toBe('integrity-mismatch');
    expect(item?.evidence.some((e) => e.points === 'healthy')).toBe(false);
  });

  it('a restart keeps the interval: the log says when it was told, not the process', () => {
    const told: Told[] = [
      { alerter: 'a', topic: 'm1', kind: 'problem', state: 'unreachable', since: at(0), problemSince: at(0), at: at(0) },
      { alerter: 'a', topic: CANONICAL_TOPIC, kind: 'baseline', canonical: 'm2', since: at(0), at: at(0) },
    ];
    const input = { told, states: [state('m1', 'unreachable', at(0))], recipients: [{ id: 'a', policy: POLICY }] };
    const canonical = { id: 'm2', since: at(0), reason: 'r' };
    expect(planAlerts({ ...input, canonical, now: at(59) }).send).toEqual([]);
    expect(planAlerts({ ...input, canonical, now: at(60) }).send[0]?.message.items.map((i) => i.kind)).toEqual(['repeat']);
  });
});

describe('renderAlert', () => {
  const plan = planAlerts({
    told: [
      { alerter: 'a', topic: CANONICAL_TOPIC, kind: 'baseline', canonical: 'gh-pages', since: at(-600), at: at(-600) },
      { alerter: 'a', topic: 'ipfs', kind: 'problem', state: 'unreachable', since: at(-130), problemSince: at(-130), at: at(-65) },
    ],
    states: [
      {
        target: 'gh-pages',
        state: 'compromised',
        since: at(-5),
        streak: 0,
        lastRoundAt: at(0),
        evidence: [
          {
            layer: 'integrity',
            code: 'integrity-mismatch',
            message: 'index.html: sha256 differs\r\nfrom the manifest',
            points: 'compromised',
            confirmed: true,
          },
        ],
        blockedIn: [],
      },
      { target: 'ipfs', state: 'unreachable', since: at(-130), streak: 0, lastRoundAt: at(0), evidence: [], blockedIn: [] },
    ],
    canonical: { id: 'cf', since: at(0), reason: "'gh-pages' is compromised; 'cf' is healthy (priority 2)" },
    recipients: [{ id: 'a', policy: POLICY }],
    now: at(0),
    urls: { 'gh-pages': 'https://org.github.io/blog/', cf: 'https://blog.example.org/' },
  });
  const message = plan.send[0]?.message;

  it('says it in Chinese first, then English: mirror, state, since, evidence, the new canonical', () => {
    expect(message).toBeDefined();
    if (message === undefined) return;
    const { subject, text } = renderAlert(message);
    expect(subject).toBe('[Ferry] 镜像 gh-pages：已被篡改 / mirror gh-pages: compromised (+2)');
    const zh = text.indexOf('Ferry 警报');
    const en = text.indexOf('Ferry alert');
    expect(zh).toBe(0);
    expect(en).toBeGreaterThan(zh);
    const [chinese = '', english = ''] = text.split('——— English ———');
    expect(chinese).toContain('1. 镜像 gh-pages：已被篡改 <https://org.github.io/blog/>');
    expect(chinese).toContain('自 2026-12-07 09:55 UTC 起（5 分钟）');
    expect(chinese).toContain('[完整性] integrity-mismatch: index.html: sha256 differs from the manifest');
    expect(chinese).toContain('2. 主地址改为 cf <https://blog.example.org/>');
    expect(chinese).toContain('原主地址：gh-pages');
    expect(chinese).toContain('3. 镜像 ipfs：仍然 无法访问');
    expect(chinese).toContain('当前主地址（canonical）：cf <https://blog.example.org/>');
    expect(english).toContain('1. mirror gh-pages: compromised <https://org.github.io/blog/>');
    expect(english).toContain('since 2026-12-07 09:55 UTC (5 min)');
    expect(english).toContain('[integrity] integrity-mismatch: index.html: sha256 differs from the manifest');
    expect(english).toContain('2. canonical moved to cf <https://blog.example.org/>');
    expect(english).toContain("Why: 'gh-pages' is compromised; 'cf' is healthy (priority 2)");
    expect(english).toContain('3. mirror ipfs: still unreachable');
    expect(english).toContain('since 2026-12-07 07:50 UTC (2 h 10 min)');
    expect(english).toContain('Canonical now: cf <https://blog.example.org/>');
    // A line break inside evidence never starts a line of its own.
    expect(text).not.toMatch(/\r/);
  });

  it('keeps the subject to one bounded line, whatever the ids and evidence hold', () => {
    if (message === undefined) throw new Error('no message');
    const long = { ...message, items: message.items.map((i) => ({ ...i, target: `${'x'.repeat(300)}\nBcc: someone` })) };
    const { subject } = renderAlert(long);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT);
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it('names the origin and a recovery', () => {
    const recovered = planAlerts({
      told: [{ alerter: 'a', topic: ORIGIN_TARGET, kind: 'problem', state: 'blocked', since: at(-60), problemSince: at(-60), at: at(-60) }],
      states: [{ target: ORIGIN_TARGET, state: 'healthy', since: at(0), streak: 0, lastRoundAt: at(0), evidence: [], blockedIn: [] }],
      canonical: undefined,
      recipients: [{ id: 'a', policy: POLICY }],
      now: at(0),
    }).send[0]?.message;
    if (recovered === undefined) throw new Error('no message');
    const { subject, text } = renderAlert(recovered);
    expect(subject).toBe('[Ferry] 源站：已恢复 / the origin: recovered');
    expect(text).toContain('此前：被封锁');
    expect(text).toContain('before: blocked');
    expect(text).toContain('problem began 2026-12-07 09:00 UTC (1 h 0 min ago)');
  });
});
