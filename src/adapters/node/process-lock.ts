// A lock file so two republish runs (the scheduler in `ferry serve` and a manual `ferry publish`)
// never overlap. A lock left by a process that died (kill -9) is taken over.
import { open, readFile, rm } from 'node:fs/promises';

export class LockedError extends Error {
  override name = 'LockedError';
}

export interface Lock {
  release(): Promise<void>;
}

export async function acquireLock(file: string, what: string, pid = process.pid): Promise<Lock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new LockedError(`${what} is already running (process ${holder}, lock ${file}); try again when it ends`);
    }
    await rm(file, { force: true }); // left by a process that no longer exists
  }
  throw new LockedError(`could not take the lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
