// An exclusive lock between processes (and threads) over a lock file, for short read-modify-write
// sections: the holder's record is written to a private file first and linked into place (link
// fails if the lock exists, like O_EXCL, and the lock never appears half-written). A waiter polls
// until its deadline. A lock whose process is gone (kill -9), or that is older than `staleMs`
// (its pid may have been reused), is moved aside and taken over; what was moved aside is checked
// to be the lock judged stale, and put back if another process took the lock meanwhile.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isRecord } from '../../core/is-record.ts';

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface FileLockOptions {
  /** How long to wait for the lock, in ms (default 60 s). */
  timeoutMs?: number;
  /** A lock held longer than this is taken over even if its pid is alive, in ms (default 10 min). */
  staleMs?: number;
  /** What the lock guards, for the timeout message (default: the lock file). */
  what?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Holder {
  pid: number;
  token: string;
  at: number;
}

export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const token = await acquire(file, opts);
  try {
    return await fn();
  } finally {
    await release(file, token);
  }
}

async function acquire(file: string, opts: FileLockOptions): Promise<string> {
  const {
    timeoutMs = 60_000,
    staleMs = 10 * 60_000,
    pid = process.pid,
    isAlive = isProcessAlive,
    now = Date.now,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  } = opts;
  const token = randomBytes(8).toString('hex');
  const mine = `${file}.${token}.tmp`;
  await writeFile(mine, JSON.stringify({ pid, token, at: now() } satisfies Holder), { flag: 'wx' });
  const deadline = now() + timeoutMs;
  let delay = 5;
  try {
    for (;;) {
      try {
        await link(mine, file);
        return token;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const seen = await readFile(file, 'utf8').catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      });
      if (seen === undefined) continue; // released meanwhile
      const holder = parseHolder(seen);
      // Not a lock this code wrote: judged by the file's age only.
      const since =
        holder?.at ??
        (await stat(file)
          .then((s) => s.mtimeMs)
          .catch(() => now()));
      if ((holder !== undefined && !isAlive(holder.pid)) || now() - since > staleMs) {
        await takeAside(file, seen);
        continue;
      }
      if (now() >= deadline) {
        throw new LockTimeoutError(
          `${opts.what ?? file}: still locked by process ${holder?.pid ?? '?'} after ${Math.round(timeoutMs / 1000)} s (lock ${file}); ` +
            'if no Ferry process is running, delete the lock file',
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    await rm(mine, { force: true });
  }
}

/** Move a stale lock aside; if what was moved is not the lock judged stale, put it back. */
async function takeAside(file: string, stale: string): Promise<void> {
  const aside = `${file}.${randomBytes(8).toString('hex')}.stale`;
  try {
    await rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== stale) await link(aside, file).catch(() => undefined);
  } finally {
    await rm(aside, { force: true });
  }
}

async function release(file: string, token: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  // Taken over as stale (this holder overran staleMs): the lock is someone else's now.
  if (text !== undefined && parseHolder(text)?.token === token) await rm(file, { force: true });
}

function parseHolder(text: string): Holder | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  const { pid, token, at } = raw;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0 || typeof token !== 'string' || typeof at !== 'number')
    return undefined;
  return { pid, token, at };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
