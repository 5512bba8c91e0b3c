// The agent registry in SQLite (better-sqlite3, WAL), in the same file as the health store by
// default (its own tables: agents, agent_nonces), so a maintainer keeps one state file. Enrollments
// read back are parsed from unknown (parseEnrolledAgent): a damaged row is skipped, never trusted.
// Claiming a nonce is one statement on a primary key, so two copies of a report racing each other
// cannot both get in.
import { openSqliteFile } from '../node/sqlite-file.ts';
import { AgentEnrollmentError, parseEnrolledAgent, type EnrolledAgent } from '../../core/health/agent-report.ts';
import { fromBase64 } from '../../core/bytes.ts';
import { keyFingerprint } from '../../core/manifest.ts';
import type { AgentRegistry } from '../../ports/agent-registry.ts';
import { HealthStoreError } from './sqlite-health-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL,
  enrolled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_nonces (
  agent_key TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (agent_key, nonce)
);
CREATE INDEX IF NOT EXISTS agent_nonces_expires ON agent_nonces (expires_at);
`;

/** Nonces remembered at most (the soonest to expire are forgotten first). */
const MAX_NONCES = 100_000;

interface AgentRow {
  id: string;
  public_key: string;
  country: string;
  enrolled_at: string;
}

export function createSqliteAgentRegistry(file: string): AgentRegistry {
  const db = openSqliteFile(
    file,
    SCHEMA,
    (why) => new HealthStoreError(`${file}: cannot open the agent registry (${why}); check the path given to --state`),
  );
  const insert = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO agents (id, fingerprint, public_key, country, enrolled_at) VALUES (?, ?, ?, ?, ?)',
  );
  const byId = db.prepare<[string], { id: string }>('SELECT id FROM agents WHERE id = ?');
  const byPublicKey = db.prepare<[string], { id: string }>('SELECT id FROM agents WHERE public_key = ?');
  const selectAll = db.prepare<[], AgentRow>('SELECT id, public_key, country, enrolled_at FROM agents ORDER BY id');
  const selectKey = db.prepare<[string], AgentRow>('SELECT id, public_key, country, enrolled_at FROM agents WHERE fingerprint = ?');
  const del = db.prepare<[string]>('DELETE FROM agents WHERE id = ?');
  const forget = db.prepare<[string]>('DELETE FROM agent_nonces WHERE expires_at < ?');
  const claim = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO agent_nonces (agent_key, nonce, expires_at) VALUES (?, ?, ?)');
  const cap = db.prepare<[number]>(
    'DELETE FROM agent_nonces WHERE rowid IN (SELECT rowid FROM agent_nonces ORDER BY expires_at LIMIT max(0, (SELECT count(*) FROM agent_nonces) - ?))',
  );

  const toAgent = (row: AgentRow): EnrolledAgent | undefined => {
    try {
      return parseEnrolledAgent({ id: row.id, publicKey: row.public_key, country: row.country, enrolledAt: row.enrolled_at }, file);
    } catch {
      return undefined;
    }
  };

  const enroll = db.transaction((agent: EnrolledAgent) => {
    if (byId.get(agent.id) !== undefined) {
      throw new AgentEnrollmentError(`an agent named '${agent.id}' is enrolled already (ferry agent remove ${agent.id} first)`);
    }
    const same = byPublicKey.get(agent.publicKey);
    if (same !== undefined) throw new AgentEnrollmentError(`this key is enrolled already, as '${same.id}'; give each agent its own key`);
    insert.run(agent.id, keyFingerprint(fromBase64(agent.publicKey)), agent.publicKey, agent.country, agent.enrolledAt);
  });
  const claimOnce = db.transaction((key: string, nonce: string, expiresAt: string, now: string): boolean => {
    forget.run(now);
    const fresh = claim.run(key, nonce, expiresAt).changes === 1;
    if (fresh) cap.run(MAX_NONCES);
    return fresh;
  });

  return {
    async enroll(agent) {
      enroll(parseEnrolledAgent(agent, 'enrollment'));
    },
    async remove(id) {
      return del.run(id).changes > 0;
    },
    async list() {
      return selectAll.all().flatMap((row) => toAgent(row) ?? []);
    },
    async byKey(fingerprint) {
      const row = selectKey.get(fingerprint);
      return row === undefined ? undefined : toAgent(row);
    },
    async claimNonce(key, nonce, expiresAt, now) {
      return claimOnce(key, nonce, expiresAt, now);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
