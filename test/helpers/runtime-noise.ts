// What the test runtimes print that no test asked for and that reads like a failure, kept off the
// console (vitest.config.ts installs both; FERRY_TEST_RUNTIME_LOGS=1 shows everything):
// - workerd logs every subrequest that cannot connect as an exception, followed by an "uncaught
//   exception ... Network connection lost" — even when the Worker awaits and catches the fetch (a
//   two-line Worker test catching `fetch('http://127.0.0.1:9/')` prints the same lines). The
//   Worker tests make such connections on purpose (a mirror that is down, test/worker/
//   health-cron.test.ts) and assert what the Worker made of them. At the end of the workers
//   project workerd also logs the pool closing its WebSocket. @cloudflare/vitest-pool-workers
//   0.15.1 writes these lines to the main process's stderr itself and takes no log handler of
//   ours, so they are held back there, counted, and named in one line when the run ends.
// - vite warns, with a stack, when a package names a source map it does not ship (feed 6.0.0's
//   lib/feed.js): a plugin drops such a comment before vite looks for the file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'vite';

/** Shows what this file holds back, for debugging the runtimes themselves. */
const SHOW_ALL = process.env.FERRY_TEST_RUNTIME_LOGS === '1';

/** workerd's line for a subrequest refused at connect(). */
const REFUSED = /^exception = kj\/async-io-unix\.c\+\+:\d+: disconnected: connect\(\): Connection refused$/;
/** The two lines workerd adds for that refused connection (whether or not the Worker caught it). */
const LOST = [
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  /^uncaught exception; exception = workerd\/jsg\/\S+: disconnected: jsg\.Error: Network connection lost\.$/,
];
/** The pool closing its connection to workerd at the end of a project. */
const POOL_CLOSED = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected$/;

export interface HeldBack {
  refused: number;
  lost: number;
  poolClosed: number;
}

/**
 * A line filter for workerd's stderr: keep(line) says whether to show it. A held-back message takes
 * its `stack:` line with it. "Network connection lost" is held back only once a refused
 * connection was seen, so an unrelated one still shows.
 */
export function workerdLineFilter(): { keep(line: string): boolean; held: HeldBack } {
  const held: HeldBack = { refused: 0, lost: 0, poolClosed: 0 };
  let dropStack = false;
  return {
    held,
    keep(line) {
      const followsHeld = dropStack;
      dropStack = false;
      if (followsHeld && line.startsWith('stack: ')) return false;
      if (REFUSED.test(line)) held.refused++;
      else if (held.refused > 0 && LOST.some((re) => re.test(line))) held.lost++;
      else if (POOL_CLOSED.test(line)) held.poolClosed++;
      else return true;
      dropStack = true;
      return false;
    },
  };
}

/**
 * Wraps this process's stdout and stderr with one workerdLineFilter (the pool writes workerd's
 * lines to either, by their level; whole lines, a write may hold several) and prints, when the
 * process exits, one line saying what was held back. Call once, in the process that runs the
 * workers pool (vitest's main process, where vitest.config.ts is loaded).
 */
export function holdBackWorkerdNoise(): void {
  if (SHOW_ALL) return;
  const filter = workerdLineFilter();
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    const passOn = write as (...args: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const lines = text.split('\n');
      const kept = lines.filter((line, i) => (i === lines.length - 1 && line === '') || filter.keep(line));
      // The callback, when given, must still be called.
      const done = rest.find((r): r is () => void => typeof r === 'function');
      if (kept.length === lines.length) return passOn(chunk, ...rest);
      const out = kept.join('\n');
      if (out === '') {
        done?.();
        return true;
      }
      return done === undefined ? write(out) : write(out, done);
    };
  }
  const report = process.stderr.write.bind(process.stderr);
  process.once('exit', () => {
    const { refused, lost, poolClosed } = filter.held;
    if (refused + lost + poolClosed === 0) return;
    report(
      `workerd: ${refused} connection(s) the Worker tests refuse on purpose, logged by workerd as exceptions, and the pool ` +
        `closing (${poolClosed}): ${refused + lost + poolClosed} messages held back (test/helpers/runtime-noise.ts; ` +
        `FERRY_TEST_RUNTIME_LOGS=1 shows them)\n`,
    );
  });
}

/** The source-map comment at the end of a bundled file, unless the map is inline. */
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=(?!data:)(\S+)\s*$/;

/**
 * A vite plugin: a package file whose source-map comment names a file that is not there is loaded
 * without the comment, so vite does not warn. Files with their maps, and project files, are left
 * to vite.
 */
export function missingSourceMaps(): Plugin {
  return {
    name: 'ferry:missing-source-maps',
    enforce: 'pre',
    load(id) {
      if (SHOW_ALL || !id.includes('/node_modules/') || !/\.[cm]?js$/.test(id)) return null;
      let code: string;
      try {
        code = readFileSync(id, 'utf8');
      } catch {
        return null;
      }
      const comment = SOURCE_MAP_COMMENT.exec(code);
      if (comment === null || existsSync(resolve(dirname(id), comment[1] ?? ''))) return null;
      return code.slice(0, comment.index + 1);
    },
  };
}
