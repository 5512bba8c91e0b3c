// The health store in one SQLite file (better-sqlite3, WAL): each round is one transaction, so a
// kill -9 mid-round loses that round and nothing before it; history is pruned in the same
// transaction (age and count), so the file stays bounded. Rows hold JSON that is parsed from
// `unknown` when read back (health-codec.ts): a damaged row is skipped, never trusted.
import { jsonRows, openSqliteFile } from '../node/sqlite-file.ts';
import {
  parseCanonicalChange,
  parseCanonicalRecord,
  parseProbeResult,
  parseTargetState,
  parseTransition,
} from '../../core/health/health-codec.ts';
import type { ProbeResult } from '../../core/health/observation.ts';
import type { TargetState, Transition } from '../../core/health/health-state.ts';
import { DEFAULT_RETENTION, type FinishedRound, type HealthStore, type HistoryQuery, type Retention } from '../../ports/health-store.ts';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS probes (
  id INTEGER PRIMARY KEY,
  target TEXT NOT NULL,
  vantage TEXT NOT NULL,
  at TEXT NOT NULL,
  verdict TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS probes_target_at ON probes (target, at);
CREATE INDEX IF NOT EXISTS probes_at ON probes (at);
CREATE TABLE IF NOT EXISTS states (target TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transitions (id INTEGER PRIMARY KEY, target TEXT NOT NULL, at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transitions_target_at ON transitions (target, at);
CREATE TABLE IF NOT EXISTS canonical_changes (id INTEGER PRIMARY KEY, at TEXT NOT NULL, body TEXT NOT NULL);
`;

/** At most this many transitions and canonical changes are kept. */
const MAX_EVENTS = 20_000;

export class HealthStoreError extends Error {
  override name = 'HealthStoreError';
}

export interface SqliteHealthStoreOptions {
  retention?: Partial<Retention>;
}

export function createSqliteHealthStore(file: string, { retention = {} }: SqliteHealthStoreOptions = {}): HealthStore {
  const keep: Retention = { ...DEFAULT_RETENTION, ...retention };
  const db = openSqliteFile(
    file,
    SCHEMA,
    (why) => new HealthStoreError(`${file}: cannot open the health store (${why}); move the file aside to start a new one`),
  );
  const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get();
  if (version === undefined) db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
  else if (Number(version.value) > SCHEMA_VERSION) {
    throw new HealthStoreError(`${file}: written by a newer Ferry (schema ${version.value}); upgrade Ferry or move the file aside`);
  }

  const insertProbe = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO probes (target, vantage, at, verdict, body) VALUES (?, ?, ?, ?, ?)',
  );
  const putState = db.prepare<[string, string]>(
    'INSERT INTO states (target, body) VALUES (?, ?) ON CONFLICT (target) DO UPDATE SET body = excluded.body',
  );
  const insertTransition = db.prepare<[string, string, string]>('INSERT INTO transitions (target, at, body) VALUES (?, ?, ?)');
  const insertCanonical = db.prepare<[string, string]>('INSERT INTO canonical_changes (at, body) VALUES (?, ?)');
  const putMeta = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const pruneOld = db.prepare<[string]>('DELETE FROM probes WHERE at < ?');
  const pruneMany = db.prepare<[number]>('DELETE FROM probes WHERE id <= (SELECT id FROM probes ORDER BY id DESC LIMIT 1 OFFSET ?)');
  const pruneTransitions = db.prepare<[number]>(
    'DELETE FROM transitions WHERE id <= (SELECT id FROM transitions ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );
  const pruneCanonical = db.prepare<[number]>(
    'DELETE FROM canonical_changes WHERE id <= (SELECT id FROM canonical_changes ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );

  const addResults = (results: readonly ProbeResult[]): void => {
    for (const r of results) insertProbe.run(r.target, r.vantage.id, r.at, r.verdict, JSON.stringify(r));
  };
  const prune = (now: string): void => {
    const cutoff = new Date(Date.parse(now) - keep.days * 86_400_000).toISOString();
    pruneOld.run(cutoff);
    pruneMany.run(keep.maxProbes);
    pruneTransitions.run(MAX_EVENTS);
    pruneCanonical.run(MAX_EVENTS);
  };

  const record = db.transaction((round: FinishedRound) => {
    addResults(round.results);
    for (const s of round.states) putState.run(s.target, JSON.stringify(s));
    for (const t of round.transitions) insertTransition.run(t.target, t.at, JSON.stringify(t));
    if (round.canonical !== undefined) {
      const { record: rec, ...change } = round.canonical;
      insertCanonical.run(change.at, JSON.stringify(change));
      putMeta.run('canonical', JSON.stringify(rec));
    }
    prune(round.finishedAt);
  });
  const recordLoose = db.transaction((results: readonly ProbeResult[]) => addResults(results));

  const rows = <T>(sql: string, params: unknown[], parse: (v: unknown, where: string) => T): T[] => jsonRows(db, file, sql, params, parse);
  const where = (q: HistoryQuery, table: string): { sql: string; params: unknown[] } => {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (q.target !== undefined) {
      clauses.push('target = ?');
      params.push(q.target);
    }
    if (q.since !== undefined) {
      clauses.push('at >= ?');
      params.push(q.since);
    }
    params.push(Math.max(1, Math.min(q.limit ?? 100, 10_000)));
    return {
      sql: `SELECT body FROM ${table}${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`,
      params,
    };
  };

  return {
    async recordRound(round) {
      record(round);
    },
    async recordResults(results) {
      recordLoose(results);
    },
    async latestResults(since) {
      // The newest row per (target, vantage): the largest id among rows at or after `since`.
      return rows(
        `SELECT body FROM probes WHERE id IN (SELECT MAX(id) FROM probes WHERE at >= ? GROUP BY target, vantage) ORDER BY target, vantage`,
        [since],
        parseProbeResult,
      );
    },
    async loadStates() {
      const states = rows<TargetState>('SELECT body FROM states', [], parseTargetState);
      return new Map(states.map((s) => [s.target, s]));
    },
    async forgetState(target) {
      db.prepare('DELETE FROM states WHERE target = ?').run(target);
    },
    async loadCanonical() {
      const row = getMeta.get('canonical');
      if (row === undefined) return undefined;
      try {
        return parseCanonicalRecord(JSON.parse(row.value), `${file}: canonical`);
      } catch {
        return undefined;
      }
    },
    async history(q = {}) {
      const { sql, params } = where(q, 'probes');
      return rows(sql, params, parseProbeResult);
    },
    async transitions(q = {}) {
      const { sql, params } = where(q, 'transitions');
      return rows<Transition>(sql, params, parseTransition);
    },
    async canonicalChanges(q = {}) {
      const { sql, params } = where(q, 'canonical_changes');
      return rows(sql, params, parseCanonicalChange);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
