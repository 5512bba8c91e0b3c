// The lock file that makes the state store the one writer: read-modify-write sections never
// overlap, within a process or across processes; a lock left by a dead process or held past its
// stale age is taken over; a live holder makes a waiter give up at its deadline, naming the holder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockTimeoutError, withFileLock } from '../../src/adapters/node/file-lock.ts';
import { createJsonStateStore } from '../../src/adapters/node/json-state-store.ts';
import { startChild } from '../helpers/child-process.ts';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-lock-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));
const dir = async (): Promise<string> => {
  const d = join(work, `d${++n}`);
  await mkdir(d, { recursive: true });
  return d;
};
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** A read-modify-write of a counter with waits between read and write (a lost update if unguarded). */
async function increment(file: string): Promise<void> {
  const v = Number(await readFile(file, 'utf8').catch(() => '0'));
  await tick();
  await writeFile(file, String(v + 1));
}

describe('file lock', () => {
  it('serializes read-modify-write sections in one process (and without it they lose updates)', async () => {
    const d = await dir();
    const counter = join(d, 'counter');
    await Promise.all(Array.from({ length: 20 }, () => increment(counter)));
    expect(Number(await readFile(counter, 'utf8'))).toBeLessThan(20); // the race is real

    await writeFile(counter, '0');
    await Promise.all(Array.from({ length: 20 }, () => withFileLock(join(d, 'lock'), () => increment(counter))));
    expect(Number(await readFile(counter, 'utf8'))).toBe(20);
    expect(await readdir(d)).toEqual(['counter']);
  });

  it('waits for a lock another process holds, then takes it', async () => {
    const d = await dir();
    const lock = join(d, 'lock');
    const code = `
      const { withFileLock } = await import(${JSON.stringify(new URL('../../src/adapters/node/file-lock.ts', import.meta.url).href)});
      await withFileLock(${JSON.stringify(lock)}, async () => {
        console.log('held');
        await new Promise((r) => setTimeout(r, 700));
        await (await import('node:fs/promises')).writeFile(${JSON.stringify(join(d, 'child'))}, 'done');
      });`;
    const holder = startChild(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeoutMs: 30_000 });
    await new Promise<void>((r, fail) => {
      holder.child.stdout?.once('data', () => r());
      void holder.exited.then(() => fail(new Error(`the lock holder ended early: ${holder.stderr()}`)));
    });
    const seen = await withFileLock(lock, () => readFile(join(d, 'child'), 'utf8').catch(() => 'not yet'));
    expect(seen).toBe('done');
    expect(await holder.exited).toMatchObject({ code: 0, timedOut: false });
  });

  it('takes over a lock whose process is gone', async () => {
    const d = await dir();
    const lock = join(d, 'lock');
    const gone = startChild(process.execPath, ['-e', ''], { timeoutMs: 10_000 });
    await gone.exited;
    const dead = gone.child.pid ?? 0;
    await writeFile(lock, JSON.stringify({ pid: dead, token: 'abc', at: Date.now() }));
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 1000 })).toBe('ran');
    expect(await readdir(d)).toEqual([]);
  });

  it('takes over a lock older than its stale age, and a file it cannot read once it is that old', async () => {
    const d = await dir();
    const lock = join(d, 'lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, token: 'abc', at: Date.now() - 20 * 60_000 }));
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 1000 })).toBe('ran');
    await writeFile(lock, 'garbage');
    const now = Date.now() + 20 * 60_000;
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 1000, now: () => now })).toBe('ran');
  });

  it('gives up at its deadline while a live process holds the lock, naming it', async () => {
    const d = await dir();
    const lock = join(d, 'lock');
    const held = JSON.stringify({ pid: process.pid, token: 'abc', at: Date.now() });
    await writeFile(lock, held);
    const error = await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(String(error)).toContain(`process ${process.pid}`);
    expect(await readFile(lock, 'utf8')).toBe(held); // not taken, not removed
  });
});

describe('json state store under the lock', () => {
  const SITE = 'https://blog.example/feeds/posts/default';
  it('keeps every approval written while builds save, from stores that do not share memory', async () => {
    const data = await dir();
    const base = { siteId: SITE, version: 1, approvals: {}, pending: [], renderKeys: {} };
    await createJsonStateStore(data).save(base, []);
    const builds = createJsonStateStore(data);
    const basis = await builds.load(SITE);
    const ids = Array.from({ length: 12 }, (_, i) => `post-${i}`);
    await Promise.all([
      ...ids.map((id) => createJsonStateStore(data).saveApprovals(SITE, { [id]: `hash-${id}` })),
      ...[2, 3, 4].map((version) => builds.save({ ...base, version }, [], undefined, basis)),
    ]);
    const state = await createJsonStateStore(data).load(SITE);
    expect(Object.keys(state.approvals).sort()).toEqual([...ids].sort());
    // A build's own lapsed approvals still go: one nobody approved anew since its load.
    await createJsonStateStore(data).save({ ...base, version: 5, approvals: { 'post-0': 'hash-post-0' } }, [], undefined, state);
    expect((await createJsonStateStore(data).load(SITE)).approvals).toEqual({ 'post-0': 'hash-post-0' });
  });
});
