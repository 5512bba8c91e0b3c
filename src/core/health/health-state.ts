// A target's state across rounds, as a pure transition: nextState(prev, round, policy, at).
// Hysteresis so the canonical link does not flap (Gatus' alerting defaults): a worse verdict must
// be seen `failuresToDown` rounds in a row, a better one `successesToUp` rounds in a row. An
// integrity failure skips it: `compromised` is certain at once, and stays until a maintainer
// clears it (the caller forgets the state; the next round is judged alone), because a mirror that tampered once may do it again only to some readers.
import { SEVERITY, type Evidence, type Verdict } from './observation.ts';
import type { RoundVerdict } from './combine-round.ts';

export interface HealthPolicy {
  /** Consecutive worse rounds before the state worsens (default 3). */
  failuresToDown: number;
  /** Consecutive better rounds before the state improves (default 2). */
  successesToUp: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { failuresToDown: 3, successesToUp: 2 };

export interface TargetState {
  target: string;
  state: Verdict;
  /** When the target entered `state` (ISO 8601). */
  since: string;
  /** Where the last rounds point, while it differs from `state`. */
  pending?: Verdict;
  /** Consecutive rounds that pointed the way of `pending`. */
  streak: number;
  lastRoundAt: string;
  /** The last round's evidence (not clean layers only). */
  evidence: Evidence[];
  /** Countries it is blocked in (last round that said so, kept while `blocked`). */
  blockedIn: string[];
}

export interface Transition {
  target: string;
  from: Verdict | undefined;
  to: Verdict;
  at: string;
  evidence: Evidence[];
  blockedIn: string[];
}

export interface StepResult {
  state: TargetState;
  /** Present when the state changed (or was first set). */
  transition?: Transition;
}

/** Fold one round into a target's state. Without a previous state, the round is judged alone. */
export function nextState(prev: TargetState | undefined, round: RoundVerdict, policy: HealthPolicy, at: string): StepResult {
  const v = round.verdict;
  if (prev === undefined) {
    const state: TargetState = {
      target: round.target,
      state: v,
      since: at,
      streak: 0,
      lastRoundAt: at,
      evidence: round.evidence,
      blockedIn: round.blockedIn,
    };
    return {
      state,
      transition: { target: round.target, from: undefined, to: v, at, evidence: round.evidence, blockedIn: round.blockedIn },
    };
  }
  const base = { ...prev, lastRoundAt: at, evidence: round.evidence };
  const change = (to: Verdict): StepResult => {
    const blockedIn = to === 'blocked' ? round.blockedIn : [];
    const state: TargetState = {
      target: prev.target,
      state: to,
      since: at,
      streak: 0,
      lastRoundAt: at,
      evidence: round.evidence,
      blockedIn,
    };
    return { state, transition: { target: prev.target, from: prev.state, to, at, evidence: round.evidence, blockedIn } };
  };
  if (v === prev.state) {
    const { pending: _dropped, ...rest } = base;
    return { state: { ...rest, streak: 0, blockedIn: v === 'blocked' ? round.blockedIn : prev.blockedIn } };
  }
  if (v === 'compromised') return change('compromised');
  // Compromised only ends by a maintainer's decision.
  if (prev.state === 'compromised') {
    const { pending: _dropped, ...rest } = base;
    return { state: { ...rest, streak: 0 } };
  }
  const worse = SEVERITY[v] > SEVERITY[prev.state];
  const sameWay = prev.pending !== undefined && SEVERITY[prev.pending] > SEVERITY[prev.state] === worse;
  const streak = sameWay ? prev.streak + 1 : 1;
  if (streak >= (worse ? policy.failuresToDown : policy.successesToUp)) return change(v);
  return { state: { ...base, pending: v, streak } };
}
