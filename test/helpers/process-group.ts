// Ends a child process and everything it started: the child was spawned `detached`, so it leads a
// process group of its own. No vitest import, so scripts (scripts/test.ts) can use it too.
import type { ChildProcess } from 'node:child_process';

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}
