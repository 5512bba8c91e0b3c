// The system-package helper itself: a missing package skips loudly and is noted for the summary,
// strict mode fails, and what is there is found.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APT_INSTALL,
  MissingSystemDependencyError,
  SYSTEM_DEPS,
  checkSystem,
  executableAt,
  executableOnPath,
  fileAt,
  pythonModule,
  type SystemCheck,
} from '../helpers/system-deps.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-system-deps-test-'));
  await writeFile(join(dir, 'tool'), '#!/bin/sh\nexit 0\n');
  await chmod(join(dir, 'tool'), 0o755);
  await writeFile(join(dir, 'not-executable'), 'data');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function check(deps: Parameters<typeof checkSystem>[0], strict = false) {
  const warned: string[] = [];
  const recorded: Array<[SystemCheck, string]> = [];
  const run = () =>
    checkSystem(deps, { who: 'some.test.ts', strict, warn: (l) => warned.push(l), record: (c, w) => recorded.push([c, w]) });
  return { run, warned, recorded };
}

describe('checkSystem', () => {
  it('skips when a binary is missing, with a loud line naming the package and the apt command, noted for the summary', () => {
    const { run, warned, recorded } = check([executableAt(join(dir, 'no-such-browser'), 'chromium'), fileAt(join(dir, 'tool'), 'present')]);
    const result = run();
    expect(result.skip).toBe(true);
    expect(result.missing).toEqual([{ package: 'chromium', problem: `${join(dir, 'no-such-browser')} not found` }]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^SKIPPED: some\.test\.ts needs the Debian package chromium \(.*no-such-browser not found\)/);
    expect(warned[0]).toContain('Install with: apt-get update && apt-get install -y chromium');
    expect(recorded.map(([c, w]) => [c.missing.map((m) => m.package), w])).toEqual([[['chromium'], 'some.test.ts']]);
  });

  it('fails instead under strict mode (FERRY_TEST_STRICT=1), naming the package', () => {
    const { run, warned, recorded } = check([pythonModule('ferry_no_such_module', 'python3-ferry-nothing')], true);
    expect(run).toThrow(MissingSystemDependencyError);
    expect(run).toThrow(
      /FERRY_TEST_STRICT=1: .*python3-ferry-nothing .*cannot import ferry_no_such_module.*apt-get install -y python3-ferry-nothing/,
    );
    expect(warned).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('runs the tests when everything is there, saying nothing', () => {
    const { run, warned, recorded } = check([executableOnPath('tool', 'tool', dir), fileAt(join(dir, 'tool'), 'tool')], true);
    expect(run()).toEqual({ skip: false, missing: [], message: '' });
    expect(warned).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('does not take a file that is not executable, or a name missing from PATH, for a binary', () => {
    const { run } = check([executableAt(join(dir, 'not-executable'), 'a'), executableOnPath('ferry-no-such-tool', 'b', dir)]);
    const result = run();
    expect(result.missing.map((m) => m.package)).toEqual(['a', 'b']);
    expect(result.message).toContain('apt-get install -y a b');
  });
});

describe('the package list', () => {
  it('names every package once in the one apt command', () => {
    expect(APT_INSTALL).toBe(
      'apt-get update && apt-get install -y chromium fonts-wqy-microhei python3-feedparser newsboat nginx wrk prometheus',
    );
    expect(Object.keys(SYSTEM_DEPS).sort()).toEqual(
      ['chromium', 'fonts-wqy-microhei', 'newsboat', 'nginx', 'promtool', 'python3-feedparser', 'wrk'].sort(),
    );
  });

  it('is what the README lists and .ci/run installs, and CI runs strict', async () => {
    const repo = resolve(import.meta.dirname, '../..');
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    expect(readme).toContain(APT_INSTALL);
    const ci = await readFile(join(repo, '.ci/run'), 'utf8');
    const aptLine = /apt-get install[^\n]*\\\n([^\n]*)/.exec(ci)?.[1] ?? '';
    for (const pkg of new Set(Object.values(SYSTEM_DEPS).map((d) => d.package))) expect(aptLine.split(/\s+/), pkg).toContain(pkg);
    expect(ci).toMatch(/^export FERRY_TEST_STRICT=1\nnpm test$/m);
  });
});
