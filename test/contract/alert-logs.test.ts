// Runs the alert log contract against every adapter, and checks that SQLite skips a damaged row.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryAlertLog } from '../../src/adapters/alerts/memory-alert-log.ts';
import { createSqliteAlertLog } from '../../src/adapters/alerts/sqlite-alert-log.ts';
import { alertLogContract } from './alert-log.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-alert-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let last = '';

alertLogContract('memory', { open: () => createMemoryAlertLog() });
alertLogContract('sqlite', {
  open: () => createSqliteAlertLog((last = join(dir, `a${n++}.db`))),
  reopen: () => createSqliteAlertLog(last),
});

describe('sqlite alert log', () => {
  it('skips a damaged or forged row instead of trusting it', async () => {
    const file = join(dir, 'damaged.db');
    const log = createSqliteAlertLog(file);
    await log.record({ alerter: 'a', at: '2026-12-07T10:00:00.000Z', ok: true, subject: 's', items: [] }, [
      { alerter: 'a', topic: 'm1', kind: 'problem', state: 'blocked', since: '2026-12-07T10:00:00.000Z', at: '2026-12-07T10:00:00.000Z' },
    ]);
    await log.close();
    const db = new Database(file);
    db.prepare(
      `INSERT INTO alert_told (alerter, topic, body) VALUES ('a', 'm2', '{"alerter":"a","topic":"m2","kind":"problem","state":"on fire","since":"x","at":"y"}')`,
    ).run();
    db.prepare(`INSERT INTO alert_told (alerter, topic, body) VALUES ('a', 'm3', 'not json')`).run();
    db.close();
    const again = createSqliteAlertLog(file);
    expect((await again.told()).map((t) => t.topic)).toEqual(['m1']);
    await again.close();
  });

  it('shares a file with the health store (its own tables)', async () => {
    const { createSqliteHealthStore } = await import('../../src/adapters/health/sqlite-health-store.ts');
    const file = join(dir, 'shared.db');
    const store = createSqliteHealthStore(file);
    const log = createSqliteAlertLog(file);
    await log.record({ alerter: 'a', at: '2026-12-07T10:00:00.000Z', ok: false, error: 'x', subject: 's', items: [] }, []);
    expect(await store.loadStates()).toEqual(new Map());
    expect(await log.attempts()).toHaveLength(1);
    await log.close();
    await store.close();
  });
});
