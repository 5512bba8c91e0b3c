// What every SQLite store of Ferry does the same way (better-sqlite3): open the file (its folder
// made first) in WAL mode, waiting up to 5 s for another process's write, with its schema; and read
// JSON rows back through a parser from `unknown`, skipping a damaged row rather than trusting it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Opens `file` (or ':memory:') with `schema`; a failure becomes `fail(why)`, the caller's named error. */
export function openSqliteFile(file: string, schema: string, fail: (why: string) => Error): Database.Database {
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(schema);
    return db;
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** Every row's `body` column, parsed; a row that does not parse says nothing trustworthy and is skipped. */
export function jsonRows<T>(
  db: Database.Database,
  file: string,
  sql: string,
  params: unknown[],
  parse: (v: unknown, where: string) => T,
): T[] {
  const out: T[] = [];
  for (const row of db.prepare<unknown[], { body: string }>(sql).all(...params)) {
    try {
      out.push(parse(JSON.parse(row.body), file));
    } catch {
      // Skipped: see above.
    }
  }
  return out;
}
