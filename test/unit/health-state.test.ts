// The health checker's pure decisions: one round's verdict from many vantage points, states with
// hysteresis over long sequences (flapping included), and the canonical choice with its cooldown.
import { describe, expect, it } from 'vitest';
import { combineRound } from '../../src/core/health/combine-round.ts';
import { chooseCanonical, type CanonicalCandidate } from '../../src/core/health/choose-canonical.ts';
import { DEFAULT_HEALTH_POLICY, nextState, type TargetState } from '../../src/core/health/health-state.ts';
import { classifyEvidence, type Evidence, type ProbeResult, type Vantage, type Verdict } from '../../src/core/health/observation.ts';

const LOCAL: Vantage = { id: 'local', kind: 'local' };
const agent = (id: string, country = 'CN'): Vantage => ({ id, kind: 'agent', country });

function ev(points: Verdict, code: string = points, confirmed = false): Evidence {
  return { layer: 'http', code, message: code, points, ...(confirmed ? { confirmed } : {}) };
}

function result(vantage: Vantage, evidence: Evidence[], target = 'a'): ProbeResult {
  return { target, vantage, at: '2026-12-01T00:00:00Z', verdict: classifyEvidence(evidence), evidence };
}

describe('classifyEvidence', () => {
  it.each<[string, Evidence[], Verdict]>([
    ['no evidence', [], 'healthy'],
    ['clean layers', [ev('healthy')], 'healthy'],
    ['slow', [ev('degraded', 'slow')], 'degraded'],
    ['refused', [ev('unreachable', 'tcp-refused')], 'unreachable'],
    ['poisoned DNS alone is not a block verdict from one point', [ev('blocked', 'dns-bogon')], 'unreachable'],
    ['a fingerprinted block page is', [ev('blocked', 'blockpage-fingerprint', true)], 'blocked'],
    ['a digest mismatch beats everything', [ev('unreachable'), ev('compromised', 'integrity-mismatch', true)], 'compromised'],
  ])('%s', (_name, evidence, verdict) => {
    expect(classifyEvidence(evidence)).toBe(verdict);
  });
});

describe('combineRound', () => {
  const policy = { quorum: 2 };
  it.each<[string, ProbeResult[], Verdict, string[]]>([
    ['one local failure is unreachable, never blocked', [result(LOCAL, [ev('unreachable')])], 'unreachable', []],
    [
      'local fine, one agent in CN failing: no quorum',
      [result(LOCAL, []), result(agent('x'), [ev('blocked', 'dns-bogon')])],
      'healthy',
      [],
    ],
    [
      'local fine, two agents in CN failing: blocked in CN',
      [result(LOCAL, []), result(agent('x'), [ev('blocked', 'dns-bogon')]), result(agent('y'), [ev('unreachable', 'tcp-reset')])],
      'blocked',
      ['CN'],
    ],
    [
      'everyone failing is down, not blocked',
      [result(LOCAL, [ev('unreachable')]), result(agent('x'), [ev('unreachable')]), result(agent('y'), [ev('unreachable')])],
      'unreachable',
      [],
    ],
    [
      'a confirmed block page from one agent is enough',
      [result(LOCAL, []), result(agent('x'), [ev('blocked', 'blockpage', true)])],
      'blocked',
      ['CN'],
    ],
    [
      'tampering seen from anywhere is compromised',
      [result(LOCAL, []), result(agent('x'), [ev('compromised', 'integrity-mismatch', true)])],
      'compromised',
      [],
    ],
    [
      'local and worker disagree: degraded',
      [result(LOCAL, []), result({ id: 'worker', kind: 'worker' }, [ev('unreachable')])],
      'degraded',
      [],
    ],
    ['only in-country points, lone failure: unreachable', [result(agent('x'), [ev('unreachable')])], 'unreachable', []],
  ])('%s', (_name, results, verdict, blockedIn) => {
    const round = combineRound('a', results, policy);
    expect(round?.verdict).toBe(verdict);
    expect(round?.blockedIn).toEqual(blockedIn);
  });

  it('tags evidence with its vantage point and ignores other targets', () => {
    const round = combineRound(
      'a',
      [result(agent('x'), [ev('unreachable', 'tcp-reset')]), result(LOCAL, [ev('unreachable')], 'b')],
      policy,
    );
    expect(round?.vantages).toEqual(['x']);
    expect(round?.evidence[0]?.facts).toMatchObject({ vantage: 'x' });
    expect(combineRound('c', [result(LOCAL, [])], policy)).toBeUndefined();
  });
});

/** Run a sequence of round verdicts through nextState; return the state after each round. */
function run(verdicts: Verdict[], start?: TargetState): Verdict[] {
  let s = start;
  return verdicts.map((v, i) => {
    const at = new Date(Date.UTC(2026, 11, 1, 0, 5 * i)).toISOString();
    s = nextState(
      s,
      { target: 'a', verdict: v, blockedIn: v === 'blocked' ? ['CN'] : [], evidence: [], vantages: ['local'] },
      DEFAULT_HEALTH_POLICY,
      at,
    ).state;
    return s.state;
  });
}

describe('nextState (3 rounds to go down, 2 to come back)', () => {
  const H = 'healthy';
  const D = 'degraded';
  const U = 'unreachable';
  const B = 'blocked';
  const C = 'compromised';
  it.each<[string, Verdict[], Verdict[]]>([
    ['first round is judged alone', [U], [U]],
    ['goes down after three failing rounds', [H, U, U, U, U], [H, H, H, U, U]],
    ['a failing streak broken by a good round starts over', [H, U, U, H, U, U, U], [H, H, H, H, H, H, U]],
    ['comes back after two good rounds', [H, U, U, U, H, H, H], [H, H, H, U, U, H, H]],
    ['one good round never brings it back (flapping)', [H, U, U, U, H, U, H, U, H, U], [H, H, H, U, U, U, U, U, U, U]],
    ['flapping every round never takes it down', [H, U, H, U, H, U, H, U, H], [H, H, H, H, H, H, H, H, H]],
    ['mixed failures count together and the last one is the state', [H, U, B, B], [H, H, H, B]],
    ['compromised at once, no damping', [H, C], [H, C]],
    ['compromised stays until cleared by a person', [H, C, H, H, H, H], [H, C, C, C, C, C]],
    ['slow is degraded after three rounds', [H, D, D, D], [H, H, H, D]],
    ['blocked to healthy needs two good rounds', [B, H, B, H, H], [B, B, B, B, H]],
  ])('%s', (_name, rounds, states) => {
    expect(run(rounds)).toEqual(states);
  });

  it('reports a transition only when the state changes, with evidence and countries', () => {
    const policy = DEFAULT_HEALTH_POLICY;
    const round = (verdict: Verdict) => ({
      target: 'a',
      verdict,
      blockedIn: verdict === 'blocked' ? ['CN'] : [],
      evidence: [ev(verdict)],
      vantages: ['x', 'y'],
    });
    const first = nextState(undefined, round('healthy'), policy, '2026-12-01T00:00:00Z');
    expect(first.transition).toMatchObject({ from: undefined, to: 'healthy' });
    let s = first.state;
    const seen: (string | undefined)[] = [];
    for (let i = 1; i <= 3; i++) {
      const step = nextState(s, round('blocked'), policy, `2026-12-01T00:0${i}:00Z`);
      s = step.state;
      seen.push(step.transition?.to);
    }
    expect(seen).toEqual([undefined, undefined, 'blocked']);
    expect(s).toMatchObject({ state: 'blocked', since: '2026-12-01T00:03:00Z', blockedIn: ['CN'] });
  });
});

describe('chooseCanonical', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const long = '2026-11-30T00:00:00Z';
  const recent = '2026-12-01T11:55:00Z';
  const policy = { cooldownMs: 30 * 60_000 };
  const m = (id: string, priority: number, state: Verdict, since = long, extra: Partial<CanonicalCandidate> = {}): CanonicalCandidate => ({
    id,
    priority,
    url: `https://${id}.example/`,
    state,
    since,
    ...extra,
  });

  it.each<[string, CanonicalCandidate[], { id: string; since: string } | undefined, string | undefined]>([
    ['first choice: best healthy by priority', [m('a', 2, 'healthy'), m('b', 1, 'healthy')], undefined, 'b'],
    ['keeps a healthy canonical', [m('a', 1, 'healthy'), m('b', 2, 'healthy')], { id: 'b', since: recent }, 'b'],
    [
      'leaves a compromised canonical at once, cooldown or not',
      [m('a', 1, 'compromised'), m('b', 2, 'healthy')],
      { id: 'a', since: recent },
      'b',
    ],
    ['leaves a blocked canonical at once', [m('a', 1, 'blocked'), m('b', 2, 'healthy')], { id: 'a', since: recent }, 'b'],
    ['leaves an unreachable canonical at once', [m('a', 1, 'unreachable'), m('b', 2, 'degraded')], { id: 'a', since: recent }, 'b'],
    [
      'keeps an unreachable canonical when nothing is better',
      [m('a', 1, 'unreachable'), m('b', 2, 'unreachable')],
      { id: 'a', since: long },
      'a',
    ],
    [
      'never a compromised or blocked one, even as the last resort',
      [m('a', 1, 'compromised'), m('b', 2, 'blocked')],
      { id: 'a', since: long },
      undefined,
    ],
    ['never a paused one', [m('a', 1, 'healthy', long, { paused: true }), m('b', 2, 'healthy')], { id: 'a', since: long }, 'b'],
    ['never one without an address', [m('a', 1, 'healthy', long, { url: undefined }), m('b', 2, 'healthy')], undefined, 'b'],
    ['back to the preferred mirror after the cooldown', [m('a', 1, 'healthy', long), m('b', 2, 'healthy')], { id: 'b', since: long }, 'a'],
    [
      'not back while the preferred one only just recovered',
      [m('a', 1, 'healthy', recent), m('b', 2, 'healthy')],
      { id: 'b', since: long },
      'b',
    ],
    ['not back right after a move', [m('a', 1, 'healthy', long), m('b', 2, 'healthy')], { id: 'b', since: recent }, 'b'],
    [
      'a degraded canonical gives way to a long-healthy one after the cooldown',
      [m('a', 1, 'degraded'), m('b', 2, 'healthy')],
      { id: 'a', since: long },
      'b',
    ],
    ['a degraded canonical stays within the cooldown', [m('a', 1, 'degraded'), m('b', 2, 'healthy')], { id: 'a', since: recent }, 'a'],
    ['a canonical gone from the list is replaced', [m('b', 2, 'healthy')], { id: 'a', since: recent }, 'b'],
  ])('%s', (_name, candidates, current, expected) => {
    const choice = chooseCanonical(candidates, current, policy, now);
    expect(choice.id).toBe(expected);
    expect(choice.changed).toBe(expected !== current?.id);
    expect(choice.reason).not.toBe('');
  });

  it('does not flap over a long sequence of alternating rounds', () => {
    // The preferred mirror 'a' alternates healthy/unreachable every 5-minute round for 3 hours;
    // 'b' stays healthy. States come from nextState (hysteresis), the choice from chooseCanonical.
    let a: TargetState | undefined;
    let current: { id: string; since: string } | undefined;
    let moves = 0;
    for (let i = 0; i < 36; i++) {
      const at = new Date(Date.UTC(2026, 11, 1, 0, 5 * i)).toISOString();
      const verdict: Verdict = i === 0 ? 'healthy' : i < 4 ? 'unreachable' : i % 2 === 0 ? 'healthy' : 'unreachable';
      a = nextState(a, { target: 'a', verdict, blockedIn: [], evidence: [], vantages: ['local'] }, DEFAULT_HEALTH_POLICY, at).state;
      const choice = chooseCanonical([m('a', 1, a.state, a.since), m('b', 2, 'healthy')], current, policy, new Date(at));
      if (choice.changed && choice.id !== undefined) {
        moves += 1;
        current = { id: choice.id, since: at };
      }
    }
    // Once to 'a' at the start, once away when it went down; never back while it flaps.
    expect(moves).toBe(2);
    expect(current?.id).toBe('b');
  });
});
