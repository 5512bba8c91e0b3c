// Who may report as a vantage point: the agents a maintainer enrolled (`ferry agent enroll`), each
// with its public key and the country it measures from, and the nonces of the reports already
// accepted (so a report sent twice is refused as a replay). Adapters: SQLite (Node, in the health
// store's file), memory (tests).
import type { EnrolledAgent } from '../core/health/agent-report.ts';

export type { EnrolledAgent };

export interface AgentRegistry {
  /** Enroll an agent; an AgentEnrollmentError when its name or its key is enrolled already. */
  enroll(agent: EnrolledAgent): Promise<void>;
  /** Remove an agent by name; false when there was none. */
  remove(id: string): Promise<boolean>;
  /** Every enrolled agent, by name. */
  list(): Promise<EnrolledAgent[]>;
  /** The agent enrolled with the key of this fingerprint (keyFingerprint). */
  byKey(fingerprint: string): Promise<EnrolledAgent | undefined>;
  /**
   * Remember that the agent with key fingerprint `key` sent `nonce`, until `expiresAt`; false when it was seen already (a
   * replay). Forgets nonces that expired before `now`, so the memory stays bounded.
   */
  claimNonce(key: string, nonce: string, expiresAt: string, now: string): Promise<boolean>;
  close(): Promise<void>;
}
