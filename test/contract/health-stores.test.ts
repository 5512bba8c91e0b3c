// Runs the health store contract against every adapter, and kills a writer mid-round (SQLite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { createSqliteHealthStore } from '../../src/adapters/health/sqlite-health-store.ts';
import { healthStoreContract } from './health-store.contract.ts';
import { startChild } from '../helpers/child-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let last = '';

healthStoreContract('memory', { open: (retention) => createMemoryHealthStore({ retention: retention ?? {} }) });
healthStoreContract('sqlite', {
  open: (retention) => createSqliteHealthStore((last = join(dir, `h${n++}.db`)), { retention: retention ?? {} }),
  reopen: () => createSqliteHealthStore(last),
});

describe('sqlite health store', () => {
  it('loses at most the round in progress when its process is killed (kill -9)', async () => {
    const file = join(dir, 'killed.db');
    // A child records rounds of 50 results and 50 states as fast as it can; it is killed mid-run.
    const script = `
      import { createSqliteHealthStore } from ${JSON.stringify(new URL('../../src/adapters/health/sqlite-health-store.ts', import.meta.url).pathname)};
      const store = createSqliteHealthStore(${JSON.stringify(file)});
      for (let round = 0; ; round++) {
        const at = new Date(Date.UTC(2026, 11, 1) + round * 1000).toISOString();
        const results = [], states = [];
        for (let i = 0; i < 50; i++) {
          results.push({ target: 'm' + i, vantage: { id: 'local', kind: 'local' }, at, verdict: 'healthy', evidence: [] });
          states.push({ target: 'm' + i, state: 'healthy', since: at, streak: round, lastRoundAt: at, evidence: [], blockedIn: [] });
        }
        await store.recordRound({ startedAt: at, finishedAt: at, results, states, transitions: [] });
        if (round === 20) process.stdout.write('going\\n');
      }
    `;
    const writer = startChild(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeoutMs: 20_000 });
    await new Promise<void>((resolve, reject) => {
      writer.child.stdout?.once('data', () => resolve());
      void writer.exited.then(() => reject(new Error(`the writer ended before writing: ${writer.stderr()}`)));
    });
    await new Promise((r) => setTimeout(r, 150));
    await writer.stop('SIGKILL');
    expect(await writer.exited).toMatchObject({ signal: 'SIGKILL', timedOut: false });

    const store = createSqliteHealthStore(file);
    const states = [...(await store.loadStates()).values()];
    const probes = await store.history({ limit: 10_000 });
    // Every round is whole: 50 states, all from the same round, and 50 results per round recorded.
    expect(states).toHaveLength(50);
    const streaks = new Set(states.map((s) => s.streak));
    expect(streaks.size).toBe(1);
    const rounds = [...streaks][0] ?? -1;
    expect(rounds).toBeGreaterThanOrEqual(20);
    expect(probes).toHaveLength(Math.min(10_000, (rounds + 1) * 50));
    await store.close();
  }, 30_000);
});
