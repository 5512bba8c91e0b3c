// Crash safety: `ferry publish` (the real bin, a separate process) is killed with SIGKILL at random
// points of a run (start-up, ingest, build/write, IPFS import, directory target publish) many
// times. After every kill:
//  - out: the last good snapshot verifies (signature, expiry, every file, nothing unlisted) and
//    its version never goes back;
//  - the directory target: manifest.json + manifest.json.sig always verify as a pair; every file
//    the current manifest lists is there, and either matches it, or (a publish was cut short
//    before its manifest moved) the manifest is the previous complete one and the file holds the
//    bytes of a signed version built since (the one being published, or one whose publish an
//    earlier kill cut short): never foreign bytes. Unlisted leftovers are allowed (a cut-short
//    publish writes new files first and deletes stale ones last). Such a torn in-place target is
//    what an edge sees during any publish window too: it serves no mismatching byte, but may call
//    the mirror compromised until the next publish completes (a known gap: see the closing note);
//  - a Ferry edge with out as its directory mirror serves / with 200 and bytes whose sha256 is
//    the one out's signed manifest lists;
//  - the run store opens; recover() marks the killed run 'interrupted' (or the run had finished),
//    no record stays 'running';
//  - the state store loads, and its version is not ahead of out;
//  - every block in the embedded IPFS store hashes to its CID.
// Between kills a new post sometimes appears at the origin. At the end a normal run completes
// 'ok' and the target verifies completely.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFile, readdir, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CID } from 'multiformats/cid';
import { generateMarkdownOrigin, seededRandom, writeGeneratedPost } from '../helpers/generate-origin.ts';
import { runCli } from '../helpers/run-cli.ts';
import { sha256Hex, utf8ToString } from '../../src/core/bytes.ts';
import { MANIFEST_PATH, SIGNATURE_PATH, type Manifest } from '../../src/core/manifest.ts';
import { acceptManifest } from '../../src/core/verify.ts';
import { readPublicKey } from '../../src/node/keys.ts';
import { folderReader, verifySnapshot } from '../../src/node/verify-snapshot.ts';
import { startEdgeServer } from '../../src/node/edge-server.ts';
import { createFileRunStore } from '../../src/adapters/node/file-run-store.ts';
import { createJsonStateStore } from '../../src/adapters/node/json-state-store.ts';
import { blockstoreDir } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { isBlockValid } from '../../src/adapters/ipfs/block-hash.ts';
import { startChild } from '../helpers/child-process.ts';
import { killGroup } from '../helpers/process-group.ts';

const SEED = Number(process.env.FERRY_CRASH_SEED ?? 0x5eed2026);
/** Each trigger below twice, in order, each time after a random delay in its window. */
const ROUNDS = 2;
const POSTS = 300;
/** clock: a moment of the whole run; otherwise a stage's first progress line (matching match) starts the countdown. */
const TRIGGERS: ReadonlyArray<{ stage: string; windowMs: number; match?: RegExp }> = [
  { stage: 'clock', windowMs: 0 },
  { stage: 'clock', windowMs: 0 },
  { stage: 'ingest', windowMs: 300 },
  { stage: 'build', windowMs: 400 },
  { stage: 'write', windowMs: 150 },
  { stage: 'ipfs', windowMs: 300 },
  { stage: 'publish', windowMs: 250, match: /to write/ },
  { stage: 'publish', windowMs: 60, match: /to write/ },
];
const KILLS = TRIGGERS.length * ROUNDS;
const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');

let work: string;
let publicKey: Uint8Array;
const paths = {
  config: '',
  key: '',
  origin: '',
  out: '',
  data: '',
  pub: '',
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-crash-'));
  Object.assign(paths, {
    config: join(work, 'ferry.config.json'),
    key: join(work, 'keys', 'ferry.key'),
    origin: join(work, 'origin'),
    out: join(work, 'site'),
    data: join(work, 'data'),
    pub: join(work, 'pub'),
  });
  const r = await runCli(['keygen', '--out', join(work, 'keys')]);
  expect(r.code, r.err).toBe(0);
  publicKey = await readPublicKey(join(work, 'keys', 'ferry.pub'));
  await generateMarkdownOrigin(paths.origin, POSTS);
  await writeFile(
    paths.config,
    JSON.stringify({
      source: 'origin',
      out: 'site',
      data: 'data',
      publish: { retries: 0 },
      targets: [{ id: 'pub', kind: 'directory', path: 'pub' }],
    }),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Publish {
  /** Milliseconds since spawn at which each stderr progress line arrived. */
  lines: Array<{ ms: number; text: string }>;
  stdout: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  kill(): void;
}

function startPublish(extra: string[] = [], onLine: (text: string) => void = () => undefined): Publish {
  const started = performance.now();
  // A deadline well past any publish here: a run that hangs is killed and fails its test.
  const { child } = startChild(process.execPath, [BIN, 'publish', '--config', paths.config, '--key', paths.key, ...extra], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '' },
    timeoutMs: 60_000,
  });
  const lines: Publish['lines'] = [];
  let pending = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const ms = performance.now() - started;
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) {
      lines.push({ ms, text });
      onLine(text);
    }
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - started })),
  );
  return {
    lines,
    get stdout() {
      return stdout;
    },
    exit,
    kill: () => killGroup(child, 'SIGKILL'),
  };
}

const stageOf = (text: string): string => /^\[([a-z]+)/.exec(text)?.[1] ?? 'other';

async function readPair(dir: string): Promise<{ manifest: Uint8Array; sig: Uint8Array } | undefined> {
  try {
    return { manifest: await readFile(join(dir, MANIFEST_PATH)), sig: await readFile(join(dir, SIGNATURE_PATH)) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function accept(pair: { manifest: Uint8Array; sig: Uint8Array }): Manifest {
  return acceptManifest(pair.manifest, utf8ToString(pair.sig, 'manifest.json.sig'), { publicKey, now: new Date() });
}

// The manifest is the previous complete one. (Its signature file may already be the next one: it is
// written first and still carries the previous manifest's signature; accept() checked the pair.)
const samePair = (a: { manifest: Uint8Array; sig: Uint8Array }, b: { manifest: Uint8Array; sig: Uint8Array } | undefined): boolean =>
  b !== undefined && Buffer.from(a.manifest).equals(b.manifest);

/** The edge-visible invariant of the directory target (see the header). Returns how many listed files hold the next snapshot's bytes. */
/** Every file digest of every snapshot version `out` has held during the test, by path. */
const signedVersions = new Map<string, Set<string>>();

async function checkTarget(
  previousPair: { manifest: Uint8Array; sig: Uint8Array } | undefined,
  outManifest: Manifest,
  what: string,
): Promise<number> {
  const pair = await readPair(paths.pub);
  if (pair === undefined) {
    // Only before the first publish to the target ever completed.
    expect(previousPair, `${what}: the target lost its manifest`).toBeUndefined();
    return 0;
  }
  let manifest: Manifest;
  try {
    manifest = accept(pair);
  } catch (e) {
    throw new Error(`${what}: the target's manifest.json and manifest.json.sig do not verify as a pair: ${(e as Error).message}`);
  }
  let mixed = 0;
  for (const [path, entry] of Object.entries(manifest.files)) {
    const bytes = await readFile(join(paths.pub, ...path.slice(1).split('/'))).catch(() => undefined);
    expect(bytes, `${what}: ${path} listed by the target's manifest is missing`).toBeDefined();
    if (bytes === undefined) continue;
    const digest = sha256Hex(bytes);
    if (digest === entry.sha256 && bytes.length === entry.size) continue;
    mixed++;
    expect(
      samePair(pair, previousPair),
      `${what}: ${path} does not match the target's manifest, which is not the previous complete one`,
    ).toBe(true);
    // Bytes from the snapshot being published, or from an earlier publish a kill interrupted: a
    // genuine signed version's file in any case, never foreign bytes. (The edge serves such a file
    // only if it matches; see the note on torn in-place publishes in this file's header.)
    expect(
      signedVersions.get(path)?.has(digest) || outManifest.files[path]?.sha256 === digest,
      `${what}: ${path} holds bytes of no signed version`,
    ).toBe(true);
  }
  return mixed;
}

async function checkBlocks(): Promise<{ blocks: number; tmp: number }> {
  const dir = blockstoreDir(paths.data);
  const names = await readdir(dir).catch(() => []);
  let blocks = 0;
  for (const name of names) {
    if (name.includes('.tmp-')) continue;
    blocks++;
    const bytes = new Uint8Array(await readFile(join(dir, name)));
    expect(await isBlockValid(CID.parse(name), bytes), `block ${name} does not hash to its CID`).toBe(true);
  }
  return { blocks, tmp: names.length - blocks };
}

async function checkEdge(outManifest: Manifest): Promise<void> {
  const edge = await startEdgeServer({ mirrors: [{ id: 'local', kind: 'directory', path: paths.out, priority: 1 }], publicKey });
  try {
    const res = await fetch(`${edge.url}/`);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(sha256Hex(body)).toBe(outManifest.files['/index.html']?.sha256);
  } finally {
    await edge.close();
  }
}

it(`survives kill -9 at ${KILLS} random points of ferry publish (seed ${SEED})`, { timeout: 300_000 }, async () => {
  const rand = seededRandom(SEED);
  console.log(`crash-safety: seed ${SEED} (set FERRY_CRASH_SEED to repeat with another)`);

  // A complete run first: the last good snapshot, and how long a run and its stages take here.
  const calibration = startPublish();
  const first = await calibration.exit;
  expect(first.code, calibration.lines.map((l) => l.text).join('\n')).toBe(0);
  const runMs = first.ms;
  const stageStarts = new Map<string, number>();
  for (const l of calibration.lines) if (!stageStarts.has(stageOf(l.text))) stageStarts.set(stageOf(l.text), Math.round(l.ms));
  console.log(
    `crash-safety: a complete run takes ${Math.round(runMs)} ms; stages start at ${JSON.stringify(Object.fromEntries(stageStarts))}`,
  );

  let previousPair = await readPair(paths.pub);
  let outVersion = accept((await readPair(paths.out)) ?? { manifest: new Uint8Array(), sig: new Uint8Array() }).version;
  let runCount = (await createFileRunStore(join(paths.data, 'runs')).list(1000)).length;
  let added = 0;
  let retitled = 0;
  const report: Array<Record<string, string | number>> = [];

  for (let i = 0; i < KILLS; i++) {
    // Where to kill: at a random moment of the whole run (start-up included), or a random few
    // milliseconds after a stage began, so that every stage is hit, the target's writes included.
    // The triggers take turns: 22 random picks with the default seed never chose the ingest
    // trigger and chose a clock moment 9 times.
    const trigger = TRIGGERS[i % TRIGGERS.length] ?? { stage: 'clock', windowMs: 0 };
    // The run before the publish triggers brings a new site title, approved once that run has held
    // it back (the guard holds a change of the site's title or description), so that those runs
    // rewrite every page in place: the torn target the header describes, among hundreds of files.
    const next = TRIGGERS[(i + 1) % TRIGGERS.length];
    const change = next?.stage === 'publish' && trigger.stage !== 'publish' ? 0.5 : rand();
    if (change < 0.4) {
      // A new post: its page, the index, archive, tag pages and feeds change.
      await writeGeneratedPost(paths.origin, POSTS + added);
      added++;
    } else if (change < 0.7) {
      // A new site title: once approved, every page changes, so the target rewrites every file in
      // place. (A new subtitle, as this test once made, is shown on the home page alone.)
      retitled++;
      await writeFile(
        join(paths.origin, 'site.yaml'),
        `title: 公民自由联盟 Generated test blog, edition ${retitled}\nsubtitle: A generated blog for crash tests.\nlanguage: zh\n`,
      );
    }
    const delay = Math.round(rand() * (trigger.stage === 'clock' ? runMs * 1.05 : trigger.windowMs));
    let timer: NodeJS.Timeout | undefined;
    const run = startPublish([], (text) => {
      if (
        timer === undefined &&
        trigger.stage !== 'clock' &&
        stageOf(text) === trigger.stage &&
        (trigger.match === undefined || trigger.match.test(text))
      ) {
        timer = setTimeout(() => run.kill(), delay);
      }
    });
    if (trigger.stage === 'clock') timer = setTimeout(() => run.kill(), delay);
    const exit = await run.exit;
    clearTimeout(timer);
    // What this run held back (a new title) is published by the next one.
    const approved = await runCli(['approve', '--all', '--config', paths.config], { cwd: work });
    expect(approved.code, approved.err).toBe(0);
    const last = run.lines.at(-1)?.text ?? '';
    const what = `kill ${i + 1}: ${delay} ms after ${trigger.stage === 'clock' ? 'spawn' : `the ${trigger.stage} stage began`} (last line: ${last || 'nothing printed'})`;
    if (exit.signal === null)
      expect(exit.code, `${what}: the run ended by itself but failed: ${run.lines.map((l) => l.text).join('\n')}`).toBe(0);

    // out: the last good snapshot verifies and never goes back.
    const outReport = await verifySnapshot(folderReader(paths.out), { publicKey, now: new Date() });
    expect(outReport, what).toMatchObject({ ok: true, problems: [] });
    const outPair = await readPair(paths.out);
    if (outPair === undefined) throw new Error(`${what}: out has no manifest`);
    const outManifest = accept(outPair);
    expect(outManifest.version, what).toBeGreaterThanOrEqual(outVersion);
    outVersion = outManifest.version;
    for (const [path, entry] of Object.entries(outManifest.files)) {
      const known = signedVersions.get(path) ?? new Set<string>();
      known.add(entry.sha256);
      signedVersions.set(path, known);
    }

    const mixed = await checkTarget(previousPair, outManifest, what);
    await checkEdge(outManifest);

    // The run store opens; the killed run is marked interrupted.
    const runs = createFileRunStore(join(paths.data, 'runs'));
    const before = await runs.list(1000);
    const running = before.filter((r) => r.outcome === 'running').map((r) => r.id);
    const recovered = await runs.recover(new Date());
    expect(
      recovered.map((r) => r.id),
      what,
    ).toEqual(running);
    const after = await runs.list(1000);
    expect(
      after.filter((r) => r.outcome === 'running'),
      what,
    ).toEqual([]);
    const started = run.lines.some((l) => stageOf(l.text) === 'ingest');
    // One record per run that got as far as its first progress line (maybe one that had not yet printed).
    if (started) expect(after.length - runCount, what).toBe(1);
    else expect(after.length - runCount, what).toBeLessThanOrEqual(1);
    if (after.length > runCount) {
      const newest = after[0];
      expect(
        newest?.outcome === 'interrupted' || (newest?.outcome === 'ok' && newest.ended !== undefined),
        `${what}: ${JSON.stringify(newest)}`,
      ).toBe(true);
    }
    runCount = after.length;

    // The state store loads and is not ahead of the snapshot readers see.
    const states = await createJsonStateStore(paths.data).list();
    for (const s of states) expect(s.version, what).toBeLessThanOrEqual(outVersion);
    const blocks = await checkBlocks();

    const pairNow = await readPair(paths.pub);
    // The "previous complete pair" for the next kill is whatever pair the target holds once
    // its listed files all match it.
    if (mixed === 0 && pairNow !== undefined) previousPair = pairNow;
    report.push({
      kill: i + 1,
      trigger: trigger.stage,
      delayMs: delay,
      ended: exit.signal ?? `exit ${exit.code ?? '?'}`,
      stage: stageOf(last),
      outVersion,
      targetVersion: pairNow === undefined ? 0 : accept(pairNow).version,
      mixedFiles: mixed,
      recovered: recovered.length,
      blocks: blocks.blocks,
      tmpBlocks: blocks.tmp,
    });
  }
  console.log(`crash-safety: ${JSON.stringify(report)}`);
  const count = (key: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of report) out[String(r[key])] = (out[String(r[key])] ?? 0) + 1;
    return out;
  };
  const torn = report.filter((r) => Number(r.mixedFiles) > 0).length;
  console.log(
    `crash-safety: last stage printed before each kill ${JSON.stringify(count('stage'))}; endings ${JSON.stringify(count('ended'))}; ` +
      `kills that left the target mixed (new files under the previous manifest): ${torn}; new posts ${added}, new titles ${retitled}`,
  );

  // The torn-target case was met, not only allowed.
  expect(torn, 'no kill in the target writes left new files under the previous manifest').toBeGreaterThan(0);

  // Then a normal run completes, and the target holds exactly the new snapshot.
  const final = startPublish(['--json']);
  const done = await final.exit;
  expect(done.code, final.lines.map((l) => l.text).join('\n')).toBe(0);
  const record: unknown = JSON.parse(final.stdout);
  expect(record).toMatchObject({ outcome: 'ok', posts: POSTS + added, version: outVersion + 1, targets: [{ id: 'pub', outcome: 'ok' }] });
  expect(await verifySnapshot(folderReader(paths.pub), { publicKey, now: new Date() })).toMatchObject({
    ok: true,
    version: outVersion + 1,
    problems: [],
  });
  const outPair = await readPair(paths.out);
  if (outPair === undefined) throw new Error('no snapshot after the final run');
  await checkEdge(accept(outPair));
  expect((await createFileRunStore(join(paths.data, 'runs')).list(1000)).filter((r) => r.outcome === 'running')).toEqual([]);
});
