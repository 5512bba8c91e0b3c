// `ferry serve` as a real child process for end-to-end tests: its output lines with the time they
// arrived, a wait for a line, the address it serves on, and a stop that never leaves it running.
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { startChild } from './child-process.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');

export interface ServeProcess {
  child: ChildProcess;
  /** Every line printed (stdout and stderr), with ms since start. */
  lines: Array<{ at: number; line: string }>;
  /** Resolve with the first line matching `pattern` that arrived at or after `after` ms. */
  waitFor(pattern: RegExp, timeoutMs: number, after?: number): Promise<{ at: number; line: string }>;
  /** ms since start of the last line (or 0). */
  lastAt(): number;
  /** The http://127.0.0.1:port of the edge, once it said so. */
  url(): Promise<string>;
  stop(): Promise<void>;
}

export function startServe(args: string[], { cwd, env }: { cwd: string; env: Record<string, string> }): ServeProcess {
  const started = Date.now();
  // In its own process group with a deadline; ended with its test or file if stop() never runs.
  const { child } = startChild(process.execPath, [BIN, 'serve', ...args], { cwd, env: { ...process.env, ...env }, timeoutMs: 600_000 });
  const lines: ServeProcess['lines'] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) lines.push({ at: Date.now() - started, line });
    });
  }
  const dump = (): string => lines.map((l) => l.line).join('\n');
  const waitFor: ServeProcess['waitFor'] = (pattern, timeoutMs, after = 0) => {
    const deadline = Date.now() + timeoutMs;
    return new Promise((done, fail) => {
      const look = (): void => {
        const hit = lines.find((l) => l.at >= after && pattern.test(l.line));
        if (hit !== undefined) return done(hit);
        if (child.exitCode !== null) return fail(new Error(`ferry serve exited ${child.exitCode}:\n${dump()}`));
        if (Date.now() > deadline) return fail(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${dump()}`));
        setTimeout(look, 50);
      };
      look();
    });
  };
  return {
    child,
    lines,
    waitFor,
    lastAt: () => lines.at(-1)?.at ?? 0,
    url: async () => {
      const { line } = await waitFor(/Ferry is serving the blog on (http:\/\/\S+?)\/? /, 120_000);
      return /on (http:\/\/[^/\s]+)/.exec(line)?.[1] ?? '';
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 8000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
