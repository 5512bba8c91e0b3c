// `npm test`: the type checks and the lint (`npm run check`, scripts/check.ts) run beside the test
// suites instead of before them. On a 2-core machine the suites leave part of a core idle while
// they wait on browsers, servers and child processes, and the checks (about 55 s) fit in it.
//
// The suites' output streams as usual; the checks' output is kept and shown when they end: at
// once if one fails (the suites are then stopped, and the run fails), otherwise after the suites.
// Arguments go to vitest (`npm test -- test/unit` runs the checks and those files only).
import { spawn, type ChildProcess } from 'node:child_process';
import { killGroup } from '../test/helpers/process-group.ts';

/** Far past a normal run here (about 5 min): a run that hangs is ended and fails. */
const DEADLINE_MS = 30 * 60 * 1000;

interface Ended {
  code: number;
  output: string;
  ms: number;
}

const children = new Set<ChildProcess>();

function run(command: string, args: string[], keepOutput: boolean): Promise<Ended> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: keepOutput ? ['ignore', 'pipe', 'pipe'] : 'inherit', detached: true });
  children.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s));
  const timer = setTimeout(() => {
    output += `\n${command} ${args.join(' ')}: no end after ${DEADLINE_MS / 60_000} min, stopped\n`;
    killGroup(child, 'SIGTERM');
  }, DEADLINE_MS);
  return new Promise((resolve) => {
    child.once('error', (e) => {
      output += `\n${command}: ${e.message}\n`;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal === null ? 1 : 128), output, ms: performance.now() - started });
    });
  });
}

let interrupted: NodeJS.Signals | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = signal;
    for (const child of children) killGroup(child, 'SIGTERM');
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;

async function checks(): Promise<Ended> {
  const r = await run('npm', ['run', '--silent', 'check'], true);
  return r.code === 0 ? r : { ...r, output: `npm run check failed:\n${r.output}` };
}

let stopped = false;
const checked = checks().then((r) => {
  if (r.code !== 0 && interrupted === undefined) {
    stopped = true;
    process.stderr.write(`\n${r.output}\nnpm test: the checks failed (above); stopping the test suites.\n`);
    for (const child of children) killGroup(child, 'SIGTERM');
  }
  return r;
});
const suites = run('npx', ['vitest', 'run', ...process.argv.slice(2)], false);
const [c, s] = await Promise.all([checked, suites]);
if (interrupted !== undefined) {
  process.stdout.write(`\nnpm test: ${interrupted}: checks and test suites stopped after ${seconds(s.ms)}.\n`);
  process.exitCode = 130;
} else {
  if (c.code === 0) process.stdout.write(`\nnpm test: type checks, lint and format passed (${seconds(c.ms)}, beside the suites).\n`);
  const outcome = s.code === 0 ? 'passed' : stopped ? 'stopped' : `failed (exit ${s.code})`;
  process.stdout.write(`npm test: test suites ${outcome} after ${seconds(s.ms)}.\n`);
  process.exitCode = c.code !== 0 || s.code !== 0 ? 1 : 0;
}
