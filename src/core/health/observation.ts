// What the health checker sees: one probe of one target (a mirror, or the origin) from one vantage
// point, with the evidence of each layer in words and short facts. Plain data, shared by every
// probe kind, vantage point (local, agents, OONI, the Worker's cron), the state machine and the
// dashboard. No bodies are kept here: evidence says what was seen, never what a reader read.

/** A target's verdict, and its state once hysteresis has been applied (health-state.ts). */
export type Verdict = 'healthy' | 'degraded' | 'unreachable' | 'blocked' | 'compromised';

export const VERDICTS: readonly Verdict[] = ['healthy', 'degraded', 'unreachable', 'blocked', 'compromised'];

/** Worst first: how bad a verdict is, for combining evidence. */
export const SEVERITY: Readonly<Record<Verdict, number>> = { healthy: 0, degraded: 1, unreachable: 2, blocked: 3, compromised: 4 };

export function isVerdict(v: unknown): v is Verdict {
  return typeof v === 'string' && (VERDICTS as readonly string[]).includes(v);
}

/** The layer a piece of evidence comes from. */
export type Layer = 'dns' | 'tcp' | 'tls' | 'http' | 'integrity' | 'content' | 'blockpage' | 'control' | 'origin' | 'ooni';

export type VantageKind = 'local' | 'agent' | 'ooni' | 'worker';

export interface Vantage {
  /** 'local', an enrolled agent's name, 'ooni', 'worker'. */
  id: string;
  kind: VantageKind;
  /** ISO 3166-1 alpha-2 country the vantage point measures from (agents, OONI), upper case. */
  country?: string;
}

/** The id of the origin among the targets (mirror ids cannot start with '@'). */
export const ORIGIN_TARGET = '@origin';

export interface Evidence {
  layer: Layer;
  /** Stable machine code, e.g. 'dns-bogon', 'tcp-refused', 'tls-expiring', 'integrity-mismatch'. */
  code: string;
  /** What was seen, in words a maintainer understands (English; the dashboard translates codes). */
  message: string;
  /** The verdict this evidence points to on its own ('healthy' for a clean layer). */
  points: Verdict;
  /**
   * Certain on its own, whatever other vantage points say: a signature or digest mismatch, a
   * known block-page fingerprint. Unconfirmed failures need a quorum to mean `blocked`.
   */
  confirmed?: boolean;
  /** Short facts (addresses, statuses, timings, hosts); never bodies or reader data. */
  facts?: Readonly<Record<string, string | number | boolean>>;
  /** Age of the underlying measurement in seconds, when it was not made now (OONI). */
  ageSeconds?: number;
}

export interface Timings {
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  firstByteMs?: number;
  totalMs?: number;
}

/** One probe of one target from one vantage point. */
export interface ProbeResult {
  target: string;
  vantage: Vantage;
  /** When the probe started (ISO 8601). */
  at: string;
  /** This probe's own conclusion (classifyEvidence over its evidence). */
  verdict: Verdict;
  evidence: Evidence[];
  timings?: Timings;
  /** The signed manifest version the target served, when the integrity layer ran. */
  manifestVersion?: number;
}

/**
 * A probe's verdict from its evidence: the worst thing any layer points to, except that a failure
 * that is not confirmed points at most to `unreachable` from one vantage point (only a quorum or a
 * fingerprint makes `blocked`, see combineRound) — and `blocked` evidence that is confirmed stays.
 */
export function classifyEvidence(evidence: readonly Evidence[]): Verdict {
  let worst: Verdict = 'healthy';
  for (const e of evidence) {
    const points = e.points === 'blocked' && e.confirmed !== true ? 'unreachable' : e.points;
    if (SEVERITY[points] > SEVERITY[worst]) worst = points;
  }
  return worst;
}

/** Suggests blocking when several vantage points in one country agree (dns poisoning, resets, SNI). */
export function suggestsBlocking(result: ProbeResult): boolean {
  return result.evidence.some((e) => e.points === 'blocked');
}
