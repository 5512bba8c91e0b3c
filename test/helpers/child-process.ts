// Every child process a test starts: in its own process group, with a deadline that kills the whole
// group, and ended with the test that started it (or with its file, when a hook started it) by
// test/helpers/child-setup.ts. So a slow machine fails a test with a clear message instead of
// leaving an `ipfs-car unpack` or a `wrangler dev` running into the next test's cleanup.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { expect } from 'vitest';
import { killGroup } from './process-group.ts';

export interface ChildOptions {
  /** Kill the process group after this long; the run then reports `timedOut`. */
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (stdin is ignored without it). */
  input?: string | Uint8Array;
  /** stdout + stderr kept, in bytes; beyond it the group is killed as for the deadline. */
  maxBuffer?: number;
}

export interface StartedChild {
  child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>;
  /** Kills the whole process group (default SIGKILL) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

interface Tracked {
  started: StartedChild;
  /** The test that started it, or undefined when a hook did (then it lives until the file ends). */
  test: string | undefined;
}

const live = new Set<Tracked>();

/** Starts `command` in its own process group, with a deadline; see ChildOptions. */
export function startChild(command: string, args: readonly string[], options: ChildOptions): StartedChild {
  const { timeoutMs, cwd, env, input, maxBuffer = 64 * 1024 * 1024 } = options;
  const spawnOptions: SpawnOptions = {
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
    ...(cwd === undefined ? {} : { cwd }),
    ...(env === undefined ? {} : { env }),
  };
  const child = spawn(command, [...args], spawnOptions);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let kept = 0;
  let timedOut = false;
  const keep = (into: Buffer[]) => (d: Buffer | string) => {
    const bytes = typeof d === 'string' ? Buffer.from(d) : d;
    kept += bytes.length;
    if (kept > maxBuffer) return killGroup(child, 'SIGKILL');
    into.push(bytes);
  };
  child.stdout?.on('data', keep(out));
  child.stderr?.on('data', keep(err));
  const deadline = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve) => {
    child.once('error', (e) => {
      err.push(Buffer.from(`${command}: ${e.message}`));
      clearTimeout(deadline);
      resolve({ code: null, signal: null, timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, timedOut });
    });
  });
  if (input !== undefined) child.stdin?.end(input);
  const started: StartedChild = {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
    stop: async (signal = 'SIGKILL') => {
      killGroup(child, signal);
      await exited;
    },
  };
  const tracked: Tracked = { started, test: expect.getState().currentTestName };
  live.add(tracked);
  void exited.then(() => live.delete(tracked));
  return started;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its end (or its deadline) and returns what it printed. */
export async function runChild(command: string, args: readonly string[], options: ChildOptions): Promise<ChildRun> {
  const started = startChild(command, args, options);
  const { code, signal, timedOut } = await started.exited;
  return { code, signal, timedOut, stdout: started.stdout(), stderr: started.stderr() };
}

/** Like runChild, but an exit other than 0 (or the deadline) is an error naming the command. */
export async function runChildOk(command: string, args: readonly string[], options: ChildOptions): Promise<ChildRun> {
  const run = await runChild(command, args, options);
  if (run.code !== 0) {
    const how = run.timedOut ? `was killed after its ${options.timeoutMs} ms deadline` : `exited ${run.code ?? run.signal}`;
    throw new Error(`${[command, ...args].join(' ')} ${how}: ${run.stderr.trim().slice(-2000)}`);
  }
  return run;
}

/**
 * Ends the children still running: those the current test started (`scope: 'test'`, after each
 * test) or all of them (`scope: 'file'`, after the file). Returns the commands it had to end.
 */
export async function endChildren(scope: 'test' | 'file'): Promise<string[]> {
  const ending = [...live].filter((t) => scope === 'file' || t.test !== undefined);
  await Promise.all(ending.map((t) => t.started.stop('SIGKILL')));
  return ending.map((t) => t.started.child.spawnargs.join(' '));
}
