// The child-process helper itself: a deadline kills the whole process group (grandchildren too),
// a child a test leaves running is ended with that test, one a hook started lives until the file
// ends, and a failure names the command and why.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runChild, runChildOk, startChild, type StartedChild } from '../helpers/child-process.ts';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    // A zombie waiting for its parent to reap it is not running.
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** A shell that starts a grandchild sleeper, prints its pid and waits. */
const FAMILY = ['-c', 'sleep 30 & echo $!; wait'];

describe('child processes in tests', () => {
  let fromHook: StartedChild;
  beforeAll(() => {
    fromHook = startChild('sleep', ['30'], { timeoutMs: 60_000 });
  });

  it('kills the whole group at the deadline and says so', async () => {
    const t0 = Date.now();
    const started = startChild('sh', FAMILY, { timeoutMs: 400 });
    await eventually(() => started.stdout().trim() !== '');
    const grandchild = Number(started.stdout().trim());
    expect(alive(grandchild)).toBe(true);
    const exit = await started.exited;
    expect(exit).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it('names the command and the deadline when a required run does not finish', async () => {
    await expect(runChildOk('sleep', ['5'], { timeoutMs: 200 })).rejects.toThrow(/^sleep 5 was killed after its 200 ms deadline/);
    await expect(runChildOk('sh', ['-c', 'echo broken >&2; exit 3'], { timeoutMs: 5000 })).rejects.toThrow(/^sh -c .* exited 3: broken$/);
    expect(await runChild('sh', ['-c', 'cat; echo done'], { timeoutMs: 5000, input: 'in ' })).toMatchObject({
      code: 0,
      timedOut: false,
      stdout: 'in done\n',
    });
  });

  let leftRunning: number[] = [];
  it('leaves a child running at the end of this test...', async () => {
    const started = startChild('sh', FAMILY, { timeoutMs: 60_000 });
    await eventually(() => started.stdout().trim() !== '');
    leftRunning = [started.child.pid ?? -1, Number(started.stdout().trim())];
    expect(leftRunning.every(alive)).toBe(true);
  });

  it('...which is gone, with its own child, when the next test starts', async () => {
    expect(leftRunning).toHaveLength(2);
    expect(await eventually(() => !leftRunning.some(alive))).toBe(true);
  });

  it('keeps a child that a hook started until the file ends', () => {
    expect(alive(fromHook.child.pid)).toBe(true);
  });
});
