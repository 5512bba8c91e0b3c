// The alert log in one SQLite file (better-sqlite3, WAL); it may be the health store's file (its
// own tables). Each try and what it told are one transaction, so a kill -9 loses at most the
// message in flight (which is then sent again, once). Rows hold JSON parsed from `unknown` when
// read back (alert-codec.ts): a damaged row is skipped, never trusted.
import { jsonRows, openSqliteFile } from '../node/sqlite-file.ts';
import { parseAttempt, parseTold } from '../../core/health/alert-codec.ts';
import { MAX_ALERT_ATTEMPTS, type AlertAttempt, type AlertLog, type Told } from '../../ports/alert-log.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_told (alerter TEXT NOT NULL, topic TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (alerter, topic));
CREATE TABLE IF NOT EXISTS alert_attempts (id INTEGER PRIMARY KEY, alerter TEXT NOT NULL, at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_attempts_at ON alert_attempts (at);
`;

export class AlertLogError extends Error {
  override name = 'AlertLogError';
}

export function createSqliteAlertLog(file: string): AlertLog {
  const db = openSqliteFile(
    file,
    SCHEMA,
    (why) => new AlertLogError(`${file}: cannot open the alert log (${why}); move the file aside to start a new one`),
  );
  const putTold = db.prepare<[string, string, string]>(
    'INSERT INTO alert_told (alerter, topic, body) VALUES (?, ?, ?) ON CONFLICT (alerter, topic) DO UPDATE SET body = excluded.body',
  );
  const insertAttempt = db.prepare<[string, string, string]>('INSERT INTO alert_attempts (alerter, at, body) VALUES (?, ?, ?)');
  const prune = db.prepare<[number]>(
    'DELETE FROM alert_attempts WHERE id <= (SELECT id FROM alert_attempts ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );
  const put = (list: readonly Told[]): void => {
    for (const t of list) putTold.run(t.alerter, t.topic, JSON.stringify(t));
  };
  const record = db.transaction((attempt: AlertAttempt, list: readonly Told[]) => {
    insertAttempt.run(attempt.alerter, attempt.at, JSON.stringify(attempt));
    put(list);
    prune.run(MAX_ALERT_ATTEMPTS);
  });
  const remember = db.transaction((list: readonly Told[]) => put(list));

  const rows = <T>(sql: string, params: unknown[], parse: (v: unknown, where: string) => T): T[] => jsonRows(db, file, sql, params, parse);

  return {
    async told() {
      return rows('SELECT body FROM alert_told ORDER BY alerter, topic', [], parseTold);
    },
    async record(attempt, list) {
      record(attempt, list);
    },
    async remember(list) {
      remember(list);
    },
    async attempts(q = {}) {
      const clauses: string[] = [];
      const params: unknown[] = [];
      if (q.alerter !== undefined) {
        clauses.push('alerter = ?');
        params.push(q.alerter);
      }
      if (q.since !== undefined) {
        clauses.push('at >= ?');
        params.push(q.since);
      }
      params.push(Math.max(1, Math.min(q.limit ?? 100, 10_000)));
      const where = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '';
      return rows(`SELECT body FROM alert_attempts${where} ORDER BY at DESC, id DESC LIMIT ?`, params, parseAttempt);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
