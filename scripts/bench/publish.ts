// Benchmark: a full publish of a generated 10,000-post Markdown blog (createRepublisher, as
// `ferry publish` and the scheduler in `ferry serve` run it) to a directory target and the
// embedded IPFS block store; then republishes: nothing changed, one new post (the newest, as a
// new post is), one new post dated in the middle of the blog's years, one post edited (held back
// by the guard), the same edit once approved. Wall time per stage from the onProgress timestamps.
// In the same run, `npx ipfs-car pack --no-wrap` on the same snapshot folder against Ferry's
// UnixFS import of it into an empty block store. Prints JSON. Target: a one-post republish in
// <= 1 s (onePostRepublishMs: the new newest post).
//
//   npx tsx scripts/bench/publish.ts [--posts 10000] [--body 1500]
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { generateMarkdownOrigin, writeGeneratedPost } from '../../test/helpers/generate-origin.ts';
import { DEFAULT_CONFIG } from '../../src/core/config.ts';
import { writeKeyPair } from '../../src/node/keys.ts';
import { createRepublisher } from '../../src/node/republisher.ts';
import type { RepublishStage } from '../../src/node/republish.ts';
import { createJsonStateStore } from '../../src/adapters/node/json-state-store.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '10000' }, body: { type: 'string', default: '1500' } } });
const posts = Number(values.posts);
const bodyChars = Number(values.body);
const run = promisify(execFile);

const loadAtStart = loadavg()[0] ?? 0;
const work = await mkdtemp(join(tmpdir(), 'ferry-bench-publish-'));
try {
  const origin = join(work, 'origin');
  const genStart = performance.now();
  await generateMarkdownOrigin(origin, posts, { bodyChars });
  const generateMs = Math.round(performance.now() - genStart);
  // An origin folder is not being written to when a republish reads it: files changed in the last
  // 2 s are read again next time (their times may not tell a second change yet), so let the
  // freshly generated blog settle as a real one has.
  await new Promise((r) => setTimeout(r, 2500));
  const { keyFile } = await writeKeyPair(join(work, 'keys'));

  // Progress lines with their time; a stage lasts from its first line to the next stage's first line.
  let marks: Array<{ at: number; stage: RepublishStage; message: string; target?: string }> = [];
  const republisher = await createRepublisher({
    config: {
      ...DEFAULT_CONFIG,
      source: origin,
      out: join(work, 'site'),
      data: join(work, 'data'),
      mirrors: join(work, 'mirrors.json'),
      publish: { deadlineMinutes: 60, retries: 0, backoffSeconds: 0 },
      ipfs: { ...DEFAULT_CONFIG.ipfs, embedded: true },
      targets: [{ id: 'dir', kind: 'directory', path: join(work, 'www') }],
    },
    env: {},
    keyFile,
    onProgress: (stage, message, target) => {
      marks.push({ at: performance.now(), stage, message, ...(target === undefined ? {} : { target }) });
    },
  });

  const measure = async (label: string): Promise<Record<string, unknown>> => {
    // As between two scheduled runs (minutes apart): the last run's clean-up (old versions) is
    // done and what it wrote is on disk (the full publish leaves ~400 MB for the kernel to write
    // back; an fsync in the next run would wait behind it).
    await republisher.settled();
    await run('sync', []);
    marks = [];
    const start = performance.now();
    const { run: record, build } = await republisher.run('manual');
    const end = performance.now();
    const stages: Record<string, number> = {};
    let previous = start;
    let current = 'start-up (run record, lock)';
    for (const m of marks) {
      if (m.stage === current) continue;
      stages[current] = Math.round((stages[current] ?? 0) + (m.at - previous));
      previous = m.at;
      current = m.stage;
    }
    stages[current] = Math.round((stages[current] ?? 0) + (end - previous));
    const line = (re: RegExp): string | undefined => marks.find((m) => re.test(m.message))?.message;
    return {
      label,
      wallMs: Math.round(end - start),
      outcome: record.outcome,
      version: record.version,
      posts: record.posts,
      heldBack: record.quarantined,
      files: build?.files,
      cid: record.cid,
      stagesMs: stages,
      ipfs: line(/new of/),
      target: record.targets.map((t) => ({
        id: t.id,
        outcome: t.outcome,
        uploaded: t.uploaded,
        deleted: t.deleted,
        unchanged: t.unchanged,
        bytes: t.bytes,
      })),
      note: 'a stage runs from its first progress line to the next stage\'s: "write" includes the swap, saving the state and reading the snapshot back for IPFS and the targets',
    };
  };

  const full = await measure('full publish');
  const unchanged = await measure('republish, nothing changed');
  // The scheduler's build thread lives for days: a few more runs let its code warm up (the JIT
  // compiles hot functions after some calls), as it is by the time a post is written.
  const warm = [];
  for (let i = 0; i < 3; i++) warm.push(await measure(`republish, nothing changed (warm-up ${i + 1})`));
  await writeGeneratedPost(origin, posts, { bodyChars, published: '2026-11-26T10:00:00+08:00' });
  const newPost = await measure('republish, one new post (the newest)');
  await writeGeneratedPost(origin, posts + 1, { bodyChars });
  const backdated = await measure('republish, one new post dated mid-blog (every newer archive page shifts)');
  const edited = Math.floor(posts / 2);
  await writeGeneratedPost(origin, edited, { bodyChars, revision: 1 });
  const editHeld = await measure('republish, one post edited (held back by the guard)');
  const state = createJsonStateStore(join(work, 'data'));
  for (const s of await state.list()) {
    const pending = s.pending.find((q) => q.id.endsWith(`post-${String(edited).padStart(6, '0')}`));
    if (pending !== undefined) await state.saveApprovals(s.siteId, { ...s.approvals, [pending.id]: pending.hash });
  }
  const editApproved = await measure('republish, the edited post approved');

  await republisher.close();

  // ipfs-car against Ferry's importer, same folder, same run.
  const snapshot = await realpath(join(work, 'site'));
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('ipfs-car/package.json')), 'bin.js');
  const time = async <T>(f: () => Promise<T>): Promise<{ ms: number; result: T }> => {
    const t = performance.now();
    const result = await f();
    return { ms: Math.round(performance.now() - t), result };
  };
  const npx = await time(async () =>
    (
      await run('npx', ['--no-install', 'ipfs-car', 'pack', snapshot, '--no-wrap', '--output', join(work, 'npx.car')], {
        cwd: process.cwd(),
      })
    ).stdout.trim(),
  );
  const direct = await time(async () =>
    (await run(process.execPath, [bin, 'pack', snapshot, '--no-wrap', '--output', join(work, 'direct.car')])).stdout.trim(),
  );
  const ferryCold = await time(() => importSnapshot(snapshot, createFsBlockstore({ dir: join(work, 'fresh-blocks') })));
  const ferryWarm = await time(() => importSnapshot(snapshot, createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) })));

  process.stdout.write(
    `${JSON.stringify(
      {
        machine: { cpus: cpus().length, node: process.version, loadAverage1m: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
        origin: { posts, bodyChars, generateMs },
        runs: [full, unchanged, ...warm, newPost, backdated, editHeld, editApproved],
        targetOnePostMs: 1000,
        onePostRepublishMs: newPost.wallMs,
        ipfsCarVsFerry: {
          snapshotFiles: ferryCold.result.files,
          npxIpfsCarPackMs: npx.ms,
          ipfsCarPackDirectMs: direct.ms,
          ipfsCarCarBytes: (await stat(join(work, 'direct.car'))).size,
          ferryImportEmptyStoreMs: ferryCold.ms,
          ferryImportIntoExistingStoreMs: ferryWarm.ms,
          ferryNewBlocksCold: ferryCold.result.newBlocks,
          ferryBlocks: ferryCold.result.blocks,
          ipfsCarRoot: direct.result,
          ferryRoot: ferryCold.result.root.toString(),
          sameRoot:
            direct.result === ferryCold.result.root.toString() && npx.result === direct.result && editApproved.cid === direct.result,
          note: 'ipfs-car runs in a new process (Node start-up included; npx adds its own) and writes one CAR file; Ferry writes one file per block',
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
