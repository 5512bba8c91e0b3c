// The Debian packages some tests need (a real browser, a CJK font, independent feed readers,
// servers and tools to compare against), in one place. A test file asks for what it needs with
// needSystem(); when something is missing it is skipped with a loud line naming the package and
// the apt command, and the run ends with a summary (test/helpers/system-deps-setup.ts), except
// with FERRY_TEST_STRICT=1 (as .ci/run sets), where a missing package fails the file.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { inject } from 'vitest';

export interface SystemDep {
  /** The Debian package that provides it. */
  package: string;
  /** Why it is missing, or undefined when it is there. */
  missing(): string | undefined;
}

/** An executable at a fixed path. */
export function executableAt(path: string, pkg: string): SystemDep {
  return {
    package: pkg,
    missing: () => (isExecutable(path) ? undefined : `${path} not found`),
  };
}

/** An executable looked up on PATH (and the sbin folders, where Debian puts servers). */
export function executableOnPath(name: string, pkg: string, path = process.env.PATH ?? ''): SystemDep {
  return {
    package: pkg,
    missing: () => {
      const dirs = [...path.split(delimiter), '/usr/sbin', '/sbin'].filter((d) => d !== '');
      return dirs.some((d) => isExecutable(join(d, name))) ? undefined : `${name} is not on PATH (${path})`;
    },
  };
}

/** A file a package installs (a font, say). */
export function fileAt(path: string, pkg: string): SystemDep {
  return { package: pkg, missing: () => (existsSync(path) ? undefined : `${path} not found`) };
}

/** A Python module importable by the given interpreter. */
export function pythonModule(module: string, pkg: string, python = '/usr/bin/python3'): SystemDep {
  return {
    package: pkg,
    missing: () => {
      const run = spawnSync(python, ['-c', `import ${module}`], { timeout: 10_000, encoding: 'utf8' });
      if (run.error !== undefined) return `${python} did not run (${run.error.message})`;
      return run.status === 0 ? undefined : `${python} cannot import ${module}`;
    },
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const PYTHON = '/usr/bin/python3';
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Everything the suite may need from Debian, by name. */
export const SYSTEM_DEPS = {
  chromium: executableAt(CHROMIUM_PATH, 'chromium'),
  'fonts-wqy-microhei': fileAt('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', 'fonts-wqy-microhei'),
  'python3-feedparser': pythonModule('feedparser', 'python3-feedparser', PYTHON),
  newsboat: executableOnPath('newsboat', 'newsboat'),
  nginx: executableOnPath('nginx', 'nginx'),
  wrk: executableOnPath('wrk', 'wrk'),
  promtool: executableOnPath('promtool', 'prometheus'),
} satisfies Record<string, SystemDep>;

export type SystemDepName = keyof typeof SYSTEM_DEPS;

/** The one command that installs every package above (README and .ci/run say the same). */
export const APT_INSTALL = `apt-get update && apt-get install -y ${[...new Set(Object.values(SYSTEM_DEPS).map((d) => d.package))].join(' ')}`;

export interface SystemCheck {
  /** True when something is missing and the tests should be skipped. */
  skip: boolean;
  missing: Array<{ package: string; problem: string }>;
  /** The loud line: what is missing and the apt command that installs it. */
  message: string;
}

export class MissingSystemDependencyError extends Error {
  override name = 'MissingSystemDependencyError';
}

export interface CheckOptions {
  /** What needs the packages, for the message (a test file). */
  who: string;
  /** Fail instead of skipping (FERRY_TEST_STRICT=1). */
  strict?: boolean;
  /** Where the loud line goes. */
  warn?: (line: string) => void;
  /** Where a skip is recorded for the end-of-run summary. */
  record?: (check: SystemCheck, who: string) => void;
}

/** Probes `deps`; skips loudly (or, strict, throws) when any is missing. */
export function checkSystem(deps: readonly SystemDep[], options: CheckOptions): SystemCheck {
  const { who, strict = false, warn = defaultWarn, record = recordSkip } = options;
  const missing = deps.flatMap((d) => {
    const problem = d.missing();
    return problem === undefined ? [] : [{ package: d.package, problem }];
  });
  if (missing.length === 0) return { skip: false, missing, message: '' };
  const packages = [...new Set(missing.map((m) => m.package))];
  const message =
    `${who} needs the Debian package${packages.length > 1 ? 's' : ''} ${packages.join(', ')} ` +
    `(${missing.map((m) => m.problem).join('; ')}). Install with: apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (strict) throw new MissingSystemDependencyError(`FERRY_TEST_STRICT=1: ${message}`);
  const check = { skip: true, missing, message };
  warn(`SKIPPED: ${message}`);
  record(check, who);
  return check;
}

/** The packages a test file needs, by name; call at the top of the file, skip with `describe.skipIf(check.skip)`. */
export function needSystem(names: readonly SystemDepName[], who: string): SystemCheck {
  return checkSystem(
    names.map((n) => SYSTEM_DEPS[n]),
    { who, strict: process.env.FERRY_TEST_STRICT === '1' },
  );
}

function defaultWarn(line: string): void {
  const bar = '!'.repeat(Math.min(100, line.length));
  process.stderr.write(`\n${bar}\n${line}\n${bar}\n`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where skipped files leave a note for the end-of-run summary (system-deps-setup.ts). */
    systemDepsReportDir: string;
  }
}

/** Leaves a note for the summary that system-deps-setup.ts prints when the run ends. */
function recordSkip(check: SystemCheck, who: string): void {
  let dir: string;
  try {
    dir = inject('systemDepsReportDir');
  } catch {
    return; // run outside the configured projects: the loud line is all there is
  }
  if (typeof dir !== 'string' || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const name = `${who.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`;
  writeFileSync(join(dir, name), JSON.stringify({ who, packages: check.missing.map((m) => m.package), message: check.message }));
}
