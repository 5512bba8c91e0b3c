// The canonical's reason on the Chinese dashboard: every reason chooseCanonical gives (each branch,
// made here by the real function, so a reworded reason fails this test) is said in Chinese, with
// no English word left; English stays as recorded; an unknown part is kept, never dropped.
import { describe, expect, it } from 'vitest';
import { chooseCanonical, type CanonicalCandidate } from '../../src/core/health/choose-canonical.ts';
import { reasonText } from '../../src/edge/dashboard/reason-text.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const OLD = '2026-12-01T00:00:00.000Z';
const mirror = (id: string, priority: number, over: Partial<CanonicalCandidate> = {}): CanonicalCandidate => ({
  id,
  priority,
  url: `https://${id}.example/`,
  state: 'healthy',
  since: OLD,
  ...over,
});
const policy = { cooldownMs: 60_000 };
const reasonOf = (candidates: CanonicalCandidate[], current?: string): string =>
  chooseCanonical(candidates, current === undefined ? undefined : { id: current, since: OLD }, policy, NOW).reason;

const REASONS: Array<[string, string]> = [
  ['no canonical yet', reasonOf([mirror('a', 1)])],
  ['gone from the list', reasonOf([mirror('a', 1)], 'z')],
  ['paused', reasonOf([mirror('a', 1, { paused: true }), mirror('b', 2)], 'a')],
  ['no address', reasonOf([mirror('a', 1, { url: undefined }), mirror('b', 2)], 'a')],
  ['compromised', reasonOf([mirror('a', 1, { state: 'compromised' }), mirror('b', 2)], 'a')],
  ['only a degraded one left', reasonOf([mirror('a', 1, { state: 'blocked' }), mirror('b', 2, { state: 'unreachable' })], 'a')],
  ['none may be canonical', reasonOf([mirror('a', 1, { state: 'compromised' })], 'a')],
  ['unreachable, another is better', reasonOf([mirror('a', 1, { state: 'unreachable' }), mirror('b', 2)], 'a')],
  ['unreachable, none better', reasonOf([mirror('a', 1, { state: 'unreachable' })], 'a')],
  ['degraded, a healthy one waits', reasonOf([mirror('a', 1, { state: 'degraded' }), mirror('b', 2)], 'a')],
  ['back to the preferred one', reasonOf([mirror('a', 1), mirror('b', 2)], 'b')],
  ['stays', reasonOf([mirror('a', 1)], 'a')],
  ['forced by a maintainer', 'forced by maintainer-4d4c'],
  ['the Worker: the signed manifest', 'the signed manifest (version 7) names it'],
];

describe('the canonical reason in Chinese', () => {
  it.each(REASONS)('%s', (_case, reason) => {
    const zh = reasonText(reason, 'zh');
    // What is left after mirror ids, times and numbers: Chinese only.
    const words = zh
      .replace(/「[^」]*」/g, '')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '')
      .replace(/maintainer-\w+/g, '');
    expect(words, `${reason} -> ${zh}`).not.toMatch(/[A-Za-z]{2,}/);
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    expect(reasonText(reason, 'en')).toBe(reason);
  });

  it('keeps the mirror ids and names the states', () => {
    expect(reasonText(reasonOf([mirror('a', 1, { paused: true }), mirror('b', 2)], 'a'), 'zh')).toBe(
      '「a」已被维护者暂停；「b」正常（优先级 2）',
    );
  });

  it('keeps a part it does not know as written', () => {
    expect(reasonText("'a' is paused; something new happened", 'zh')).toBe("'a' is paused；something new happened");
  });
});
