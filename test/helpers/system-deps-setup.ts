// Vitest global setup: gives test files a folder to note the Debian packages they were skipped
// for (test/helpers/system-deps.ts), and prints one summary of them when the run ends.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { APT_INSTALL } from './system-deps.ts';

/** One folder per run, shared by every project that uses this setup. */
const DIR = join(tmpdir(), `ferry-system-deps-${process.pid}`);

export default function setup(project: TestProject): () => void {
  mkdirSync(DIR, { recursive: true });
  project.provide('systemDepsReportDir', DIR);
  return () => {
    let notes: Array<{ who: string; packages: string[] }> = [];
    try {
      notes = readdirSync(DIR).map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')));
    } catch {
      return; // another project's teardown already printed the summary
    }
    rmSync(DIR, { recursive: true, force: true });
    if (notes.length === 0) return;
    const packages = [...new Set(notes.flatMap((n) => n.packages))].sort();
    const lines = [
      `SKIPPED ${notes.length} test file${notes.length > 1 ? 's' : ''}: Debian package${packages.length > 1 ? 's' : ''} missing: ${packages.join(', ')}`,
      ...notes.map((n) => `  ${n.who}: ${n.packages.join(', ')}`),
      `Install everything the suite uses with: ${APT_INSTALL}`,
      'CI runs with FERRY_TEST_STRICT=1, where a missing package fails instead.',
    ];
    const bar = '!'.repeat(Math.min(100, Math.max(...lines.map((l) => l.length))));
    process.stderr.write(`\n${bar}\n${lines.join('\n')}\n${bar}\n`);
  };
}
