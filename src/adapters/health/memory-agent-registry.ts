// The agent registry in memory: tests, and a receiver that keeps nothing across restarts. Same
// answers as the SQLite registry (the contract suite runs both).
import { AgentEnrollmentError, type EnrolledAgent } from '../../core/health/agent-report.ts';
import { fromBase64 } from '../../core/bytes.ts';
import { keyFingerprint } from '../../core/manifest.ts';
import type { AgentRegistry } from '../../ports/agent-registry.ts';

/** Nonces remembered at most (the oldest are forgotten first). */
const MAX_NONCES = 100_000;

export function createMemoryAgentRegistry(): AgentRegistry {
  const agents = new Map<string, EnrolledAgent & { fingerprint: string }>();
  /** agent \0 nonce -> expiresAt, in insertion order. */
  const nonces = new Map<string, string>();

  return {
    async enroll(agent) {
      const fingerprint = keyFingerprint(fromBase64(agent.publicKey));
      if (agents.has(agent.id))
        throw new AgentEnrollmentError(`an agent named '${agent.id}' is enrolled already (ferry agent remove ${agent.id} first)`);
      const same = [...agents.values()].find((a) => a.publicKey === agent.publicKey);
      if (same !== undefined) throw new AgentEnrollmentError(`this key is enrolled already, as '${same.id}'; give each agent its own key`);
      agents.set(agent.id, { ...agent, fingerprint });
    },
    async remove(id) {
      return agents.delete(id);
    },
    async list() {
      return [...agents.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(({ fingerprint: _f, ...a }) => ({ ...a }));
    },
    async byKey(fingerprint) {
      const found = [...agents.values()].find((a) => a.fingerprint === fingerprint);
      if (found === undefined) return undefined;
      const { fingerprint: _f, ...agent } = found;
      return { ...agent };
    },
    async claimNonce(agentKey, nonce, expiresAt, now) {
      for (const [k, until] of nonces) if (until < now) nonces.delete(k);
      const key = `${agentKey}\0${nonce}`;
      if (nonces.has(key)) return false;
      nonces.set(key, expiresAt);
      for (const k of nonces.keys()) {
        if (nonces.size <= MAX_NONCES) break;
        nonces.delete(k);
      }
      return true;
    },
    async close() {},
  };
}
