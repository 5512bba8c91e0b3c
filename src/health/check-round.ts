// One round of the health checker, the same on Node (`ferry check`, `ferry serve`) and in the
// Worker's cron: probe every target from this vantage point (bounded concurrency, each probe
// with its own deadline), add the newest reports other vantage points sent in, combine them per
// target, fold them into each target's state (hysteresis), choose the canonical, and record it
// all in one step. The decisions are the pure functions of src/core/health; this only wires them.
import { chooseCanonical, type CanonicalChoice, type CanonicalRecord } from '../core/health/choose-canonical.ts';
import { combineRound, type RoundVerdict } from '../core/health/combine-round.ts';
import { nextState, type TargetState, type Transition } from '../core/health/health-state.ts';
import { ORIGIN_TARGET, type ProbeResult, type Vantage } from '../core/health/observation.ts';
import type { RoundPolicies } from '../core/health/round-policies.ts';
import type { HealthStore } from '../ports/health-store.ts';
import type { Prober, ProbeTarget } from '../ports/prober.ts';

export interface CheckTarget extends ProbeTarget {
  /** The mirror list's priority (lower is preferred); unused for the origin. */
  priority: number;
  /** Readers can be sent to it (it has an http(s) address of its own). */
  canonicalAllowed: boolean;
}

export type { RoundPolicies } from '../core/health/round-policies.ts';

export interface CheckRoundOptions {
  targets: readonly CheckTarget[];
  prober: Prober;
  store: HealthStore;
  vantage: Vantage;
  policies: RoundPolicies;
  /** Which round this is (drives the prober's rotating sample). */
  round: number;
  now?: () => Date;
  /** Probes run at once (default 16). */
  concurrency?: number;
  /** Mirrors a maintainer paused: probed and recorded, never chosen as canonical. */
  paused?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProbe?: (result: ProbeResult) => void;
}

export interface RoundOutcome {
  startedAt: string;
  finishedAt: string;
  /** This vantage point's probes. */
  results: ProbeResult[];
  verdicts: RoundVerdict[];
  states: TargetState[];
  transitions: Transition[];
  canonical: CanonicalChoice & { record: CanonicalRecord };
  /** The canonical before this round (undefined on the first). */
  previousCanonical: CanonicalRecord | undefined;
}

export async function runCheckRound({
  targets,
  prober,
  store,
  vantage,
  policies,
  round,
  now = () => new Date(),
  concurrency = 16,
  paused = new Set(),
  signal,
  onProbe,
}: CheckRoundOptions): Promise<RoundOutcome> {
  const startedAt = now().toISOString();
  const results = await mapLimit(targets, concurrency, async (target) => {
    const result = await prober
      .probe(target, { vantage, round, ...(signal === undefined ? {} : { signal }) })
      .catch((e: unknown): ProbeResult => probeFailed(target, vantage, now(), e));
    onProbe?.(result);
    return result;
  });
  const since = new Date(Date.parse(startedAt) - policies.reportWindowMs).toISOString();
  const others = (await store.latestResults(since)).filter((r) => r.vantage.id !== vantage.id);
  const previous = await store.loadStates();
  const finishedAt = now().toISOString();

  const verdicts: RoundVerdict[] = [];
  const states: TargetState[] = [];
  const transitions: Transition[] = [];
  for (const target of targets) {
    const verdict = combineRound(target.id, [...results, ...others], policies.round);
    if (verdict === undefined) continue;
    verdicts.push(verdict);
    const step = nextState(previous.get(target.id), verdict, policies.health, finishedAt);
    states.push(step.state);
    if (step.transition !== undefined) transitions.push(step.transition);
  }

  const stateOf = new Map(states.map((s) => [s.target, s]));
  const previousCanonical = await store.loadCanonical();
  const candidates = targets.flatMap((t) => {
    const s = stateOf.get(t.id);
    if (t.id === ORIGIN_TARGET || t.role !== 'mirror' || s === undefined) return [];
    return [
      {
        id: t.id,
        priority: t.priority,
        ...(t.canonicalAllowed ? { url: t.url } : {}),
        state: s.state,
        since: s.since,
        paused: paused.has(t.id),
      },
    ];
  });
  const current = previousCanonical?.id === undefined ? undefined : { id: previousCanonical.id, since: previousCanonical.since };
  const choice = chooseCanonical(candidates, current, policies.canonical, new Date(finishedAt));
  const record: CanonicalRecord =
    choice.changed || previousCanonical === undefined
      ? { id: choice.id, since: finishedAt, reason: choice.reason }
      : { ...previousCanonical, reason: choice.reason };
  await store.recordRound({
    startedAt,
    finishedAt,
    results,
    states,
    transitions,
    ...(choice.changed || previousCanonical === undefined
      ? { canonical: { from: previousCanonical?.id, to: choice.id, at: finishedAt, reason: choice.reason, record } }
      : {}),
  });
  return { startedAt, finishedAt, results, verdicts, states, transitions, canonical: { ...choice, record }, previousCanonical };
}

/** A prober that threw (a bug, not the target's doing): says so, and judges nothing. */
function probeFailed(target: ProbeTarget, vantage: Vantage, at: Date, e: unknown): ProbeResult {
  const message = `the probe itself failed: ${e instanceof Error ? e.message : String(e)}`;
  return {
    target: target.id,
    vantage,
    at: at.toISOString(),
    verdict: 'degraded',
    evidence: [{ layer: 'http', code: 'probe-failed', message, points: 'degraded' }],
  };
}

/** Run `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const item = items[i];
      if (item === undefined) return;
      out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
