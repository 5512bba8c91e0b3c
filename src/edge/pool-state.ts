// A mirror's state in the edge's pool, as pure transitions: nextPoolState(prev, observation, policy).
// The pool (mirror-pool.ts) only stores what these functions return. `compromised` here is what
// this edge saw, and only orders the pool: such a mirror is asked last (every byte is verified
// anyway) and is trusted again after a few verified files. Whether it is compromised for rotation
// and alerts is the health checker's verdict; it stops the edge asking a mirror by excluding it.

export type PoolHealth = 'healthy' | 'degraded' | 'unreachable' | 'compromised';

export interface PoolState {
  health: PoolHealth;
  /** Exponentially weighted mean latency of successful answers, ms (undefined until one). */
  latencyEwmaMs: number | undefined;
  consecutiveFailures: number;
  failures: number;
  successes: number;
  lastError: string | undefined;
  /** Why it is compromised (evidence), when it is. */
  compromisedReason: string | undefined;
  /** Files it delivered that verified since it was last caught serving bad bytes. */
  verifiedSinceCompromise: number;
}

export type Observation =
  /** A verified answer: a file (the default) or a manifest (which does not rehabilitate). */
  | { type: 'success'; latencyMs: number; what?: 'file' | 'manifest' }
  /** A transport failure: refused, timed out, reset, cut short. */
  | { type: 'unreachable'; error: string }
  /** It answered, but not usefully: HTTP 5xx, too large, an outdated or expired manifest, lost a hedge. */
  | { type: 'failure'; error: string }
  /** It served bytes that fail verification against a validly signed manifest. */
  | { type: 'compromised'; error: string }
  /** The health checker cleared it. */
  | { type: 'cleared' };

export interface PoolPolicy {
  /** Consecutive transport failures before a mirror is `unreachable` (Gatus' default: 3). */
  unreachableAfter: number;
  /** Weight of a new latency sample in the mean. */
  ewmaAlpha: number;
  /** Verified files after which a mirror caught serving bad bytes is `healthy` again. */
  rehabilitateAfter: number;
}

export const DEFAULT_POOL_POLICY: PoolPolicy = { unreachableAfter: 3, ewmaAlpha: 0.3, rehabilitateAfter: 3 };

export function initialPoolState(): PoolState {
  return {
    health: 'healthy',
    latencyEwmaMs: undefined,
    consecutiveFailures: 0,
    failures: 0,
    successes: 0,
    lastError: undefined,
    compromisedReason: undefined,
    verifiedSinceCompromise: 0,
  };
}

export function nextPoolState(prev: PoolState, obs: Observation, policy: PoolPolicy = DEFAULT_POOL_POLICY): PoolState {
  if (obs.type === 'cleared') return { ...initialPoolState(), latencyEwmaMs: prev.latencyEwmaMs };
  if (prev.health === 'compromised') return whileCompromised(prev, obs, policy);
  switch (obs.type) {
    case 'success':
      return {
        ...prev,
        health: 'healthy',
        consecutiveFailures: 0,
        successes: prev.successes + 1,
        latencyEwmaMs: ewma(prev.latencyEwmaMs, obs.latencyMs, policy),
      };
    case 'unreachable': {
      const consecutive = prev.consecutiveFailures + 1;
      return {
        ...prev,
        health: consecutive >= policy.unreachableAfter ? 'unreachable' : 'degraded',
        consecutiveFailures: consecutive,
        failures: prev.failures + 1,
        lastError: obs.error,
      };
    }
    case 'failure':
      return {
        ...prev,
        health: prev.health === 'unreachable' ? 'unreachable' : 'degraded',
        consecutiveFailures: prev.consecutiveFailures + 1,
        failures: prev.failures + 1,
        lastError: obs.error,
      };
    case 'compromised':
      return caught(prev, obs.error);
  }
}

/** Caught serving bad bytes: asked last from now on, until enough verified files. */
function caught(prev: PoolState, error: string): PoolState {
  return {
    ...prev,
    health: 'compromised',
    failures: prev.failures + 1,
    consecutiveFailures: prev.consecutiveFailures + 1,
    lastError: error,
    compromisedReason: error,
    verifiedSinceCompromise: 0,
  };
}

/**
 * Compromised: only verified files count towards trusting it again (a valid manifest says nothing
 * about its files); failures to answer neither help nor hurt; new bad bytes start the count over.
 */
function whileCompromised(prev: PoolState, obs: Exclude<Observation, { type: 'cleared' }>, policy: PoolPolicy): PoolState {
  switch (obs.type) {
    case 'success': {
      const verified = prev.verifiedSinceCompromise + (obs.what === 'manifest' ? 0 : 1);
      const next = {
        ...prev,
        consecutiveFailures: 0,
        successes: prev.successes + 1,
        latencyEwmaMs: ewma(prev.latencyEwmaMs, obs.latencyMs, policy),
        verifiedSinceCompromise: verified,
      };
      return verified >= policy.rehabilitateAfter
        ? { ...next, health: 'healthy', compromisedReason: undefined, verifiedSinceCompromise: 0 }
        : next;
    }
    case 'unreachable':
    case 'failure':
      return { ...prev, consecutiveFailures: prev.consecutiveFailures + 1, failures: prev.failures + 1, lastError: obs.error };
    case 'compromised':
      return caught(prev, obs.error);
  }
}

function ewma(prev: number | undefined, sample: number, policy: PoolPolicy): number {
  return prev === undefined ? sample : prev + policy.ewmaAlpha * (sample - prev);
}

const RANK: Record<PoolHealth, number> = { healthy: 0, degraded: 1, unreachable: 2, compromised: 3 };

export interface Ranked {
  id: string;
  priority: number;
  state: PoolState;
}

/**
 * The order to ask mirrors in: by health (compromised last: still asked when nothing better
 * answers, since every byte is verified), then by the maintainers' priority (lower first), then by
 * observed latency. Ties keep the configured order.
 */
export function orderMirrors<T extends Ranked>(mirrors: readonly T[]): T[] {
  return mirrors
    .map((m, i) => ({ m, i }))
    .sort(
      (a, b) =>
        RANK[a.m.state.health] - RANK[b.m.state.health] ||
        a.m.priority - b.m.priority ||
        (a.m.state.latencyEwmaMs ?? 0) - (b.m.state.latencyEwmaMs ?? 0) ||
        a.i - b.i,
    )
    .map(({ m }) => m);
}

export interface HedgePolicy {
  /** Hedge delay before any latency was observed. */
  initialMs: number;
  minMs: number;
  maxMs: number;
}

/** How long to wait for a mirror before asking the next one too: twice its mean latency, bounded. */
export function hedgeDelayMs(state: PoolState, policy: HedgePolicy): number {
  if (state.latencyEwmaMs === undefined) return policy.initialMs;
  return Math.min(policy.maxMs, Math.max(policy.minMs, Math.round(state.latencyEwmaMs * 2 + 10)));
}
