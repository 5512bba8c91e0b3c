// One round's verdict for one target, from what every vantage point reported. Pure.
// - Bytes that fail the signature are `compromised` from any vantage point: certain, no vote.
// - `blocked` needs agreement: a confirmed block-page fingerprint, or a quorum of vantage points in
//   one country that fail while a vantage point outside it (or the checker itself) gets through.
// - Otherwise the vantage points that are not in a watched country (the checker, the Worker)
//   decide reachability: all failing is `unreachable`, some failing is `degraded`.
import { SEVERITY, type Evidence, type ProbeResult, type Verdict } from './observation.ts';

export interface RoundPolicy {
  /** Vantage points in one country that must agree before a mirror is `blocked` there. */
  quorum: number;
}

export interface RoundVerdict {
  target: string;
  verdict: Verdict;
  /** Countries where the target is blocked (when verdict is `blocked`, or blocked somewhere). */
  blockedIn: string[];
  /** Every vantage point's evidence that is not clean, tagged with the vantage point. */
  evidence: Evidence[];
  /** Vantage points heard from this round. */
  vantages: string[];
}

const FAILING: ReadonlySet<Verdict> = new Set(['unreachable', 'blocked']);

/** Combine the round's results for one target (any order; one result per vantage point is expected). */
export function combineRound(target: string, results: readonly ProbeResult[], policy: RoundPolicy): RoundVerdict | undefined {
  const mine = results.filter((r) => r.target === target);
  if (mine.length === 0) return undefined;
  const evidence = mine.flatMap((r) =>
    r.evidence.filter((e) => e.points !== 'healthy').map((e) => ({ ...e, facts: { ...e.facts, vantage: r.vantage.id } })),
  );
  const vantages = mine.map((r) => r.vantage.id);

  if (mine.some((r) => r.verdict === 'compromised')) {
    return { target, verdict: 'compromised', blockedIn: [], evidence, vantages };
  }

  const blockedIn = new Set<string>();
  // A confirmed fingerprint is enough for its country (or for "somewhere" when the vantage point has none).
  for (const r of mine) {
    if (r.evidence.some((e) => e.points === 'blocked' && e.confirmed === true)) blockedIn.add(r.vantage.country ?? '??');
  }
  // A quorum of failing vantage points in one country, while something outside it gets through.
  const byCountry = new Map<string, ProbeResult[]>();
  for (const r of mine) {
    if (r.vantage.country === undefined) continue;
    byCountry.set(r.vantage.country, [...(byCountry.get(r.vantage.country) ?? []), r]);
  }
  for (const [country, list] of byCountry) {
    const failing = list.filter((r) => FAILING.has(r.verdict));
    const outside = mine.filter((r) => r.vantage.country !== country);
    const reachableOutside = outside.some((r) => !FAILING.has(r.verdict));
    if (failing.length >= Math.max(1, policy.quorum) && reachableOutside) blockedIn.add(country);
  }
  if (blockedIn.size > 0) return { target, verdict: 'blocked', blockedIn: [...blockedIn].sort(), evidence, vantages };

  // Reachability: the vantage points outside the watched countries. When only in-country points
  // reported (no quorum), they still count: a lone failure is `unreachable`, never `blocked`.
  const neutral = mine.filter((r) => r.vantage.country === undefined);
  const judges = neutral.length > 0 ? neutral : mine;
  const failing = judges.filter((r) => FAILING.has(r.verdict)).length;
  let verdict: Verdict;
  if (failing === judges.length) verdict = 'unreachable';
  else if (failing > 0) verdict = 'degraded';
  else verdict = judges.reduce<Verdict>((worst, r) => (SEVERITY[r.verdict] > SEVERITY[worst] ? r.verdict : worst), 'healthy');
  return { target, verdict, blockedIn: [], evidence, vantages };
}
