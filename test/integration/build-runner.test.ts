// The build runner keeps one worker thread between builds: a build that fails cleanly leaves it
// for the next, an aborted build replaces it, and every build's result is the real one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBuildRunner, type BuildJob } from '../../src/node/build-worker.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-runner-'));
  await cp(EXAMPLES, join(work, 'posts'), { recursive: true });
});
afterAll(() => rm(work, { recursive: true, force: true }));

const job = (source: string): BuildJob => ({
  source,
  out: join(work, 'out'),
  dataDir: join(work, 'data'),
  privateKey: generateKeyPair(new Uint8Array(32).fill(4)).privateKey,
  mirrors: [],
  nowMs: Date.parse('2026-11-26T00:00:00Z'),
});

describe('build runner', () => {
  it('runs builds one after another in one thread, through failures and aborts', async () => {
    const runner = createBuildRunner();
    try {
      const first = await runner.run(job(join(work, 'posts')));
      expect(first.version).toBe(1);
      expect(JSON.parse(await readFile(join(work, 'out', 'manifest.json'), 'utf8')).version).toBe(1);

      // A clean failure (no such origin) names the problem and leaves the snapshot as it was.
      await expect(runner.run(job(join(work, 'missing')))).rejects.toThrow(/missing/);
      const stages: string[] = [];
      const second = await runner.run(job(join(work, 'posts')), { onProgress: (stage) => stages.push(stage) });
      expect(second.version).toBe(2);
      expect(stages).toContain('write');

      // Two builds at once in one runner are refused rather than interleaved.
      const running = runner.run(job(join(work, 'posts')));
      await expect(runner.run(job(join(work, 'posts')))).rejects.toThrow(/already running/);
      expect((await running).version).toBe(3);

      // An abort stops the thread; the next build gets a new one.
      const controller = new AbortController();
      const aborted = runner.run(job(join(work, 'posts')), {
        signal: controller.signal,
        onProgress: () => controller.abort(new Error('deadline')),
      });
      await expect(aborted).rejects.toThrow(/build stopped: Error: deadline/);
      const after = await runner.run(job(join(work, 'posts')));
      expect(after.version).toBeGreaterThan(3);
      expect(JSON.parse(await readFile(join(work, 'out', 'manifest.json'), 'utf8')).version).toBe(after.version);
    } finally {
      await runner.close();
    }
  });
});
