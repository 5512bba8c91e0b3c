// Probing one target from one vantage point: the layers a reader's request goes through (DNS, TCP,
// TLS, HTTP), then what came back (signed bytes, or a block page, or planted code). The health
// checker runs one prober per vantage point (local, an agent, the Worker's cron); adapters live
// in src/adapters/probes/. Every probe has a deadline and a size limit, and never throws for
// anything the target did: what went wrong is evidence in the result.
import type { ProbeResult, Vantage } from '../core/health/observation.ts';

export interface ProbeTarget {
  /** Mirror id, or ORIGIN_TARGET for the blog Ferry ingests from. */
  id: string;
  /** The http(s) address readers use: a mirror's base URL, or the origin's feed URL. */
  url: string;
  /** A mirror serves the signed snapshot (its bytes are verified); the origin does not. */
  role: 'mirror' | 'origin';
}

export interface ProbeContext {
  vantage: Vantage;
  /** Which round this is: drives the rotating sample of files, so a day of rounds covers a mirror. */
  round: number;
  signal?: AbortSignal;
}

export interface Prober {
  probe(target: ProbeTarget, context: ProbeContext): Promise<ProbeResult>;
}
