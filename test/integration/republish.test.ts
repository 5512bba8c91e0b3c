// Republish end to end: the Blogger fixture served on loopback, a directory target and a kv target
// (the loopback fake of the Cloudflare KV API, or a token that is not set), the embedded IPFS
// store, run records. One failing target never stops another; a failed build changes nothing
// readers see; retries back off 1x, 2x; runs never overlap; config errors name file and field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { startBloggerServer, FEED_PATH, type BloggerServer } from '../helpers/blogger-server.ts';
import { CLEAN } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { readTree } from '../helpers/tree.ts';
import { startFakeKvApi, type FakeKvApi } from '../helpers/fake-kv-api.ts';
import { DEFAULT_CONFIG } from '../../src/core/config.ts';
import type { TargetConfig } from '../../src/core/targets-config.ts';
import { MANIFEST_PATH } from '../../src/core/manifest.ts';
import type { LoadedConfig } from '../../src/node/load-config.ts';
import { createRepublisher } from '../../src/node/republisher.ts';
import { republish } from '../../src/node/republish.ts';
import { readPrivateKey, readPublicKey } from '../../src/node/keys.ts';
import { folderReader, verifySnapshot } from '../../src/node/verify-snapshot.ts';
import { createDirectoryPublisher } from '../../src/adapters/publishers/directory-publisher.ts';
import { createKvPublisher } from '../../src/adapters/publishers/kv-publisher.ts';
import { createFileRunStore } from '../../src/adapters/node/file-run-store.ts';
import { LockedError } from '../../src/adapters/node/process-lock.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { startChild } from '../helpers/child-process.ts';

const POSTS = 7; // blogger-clean

let work: string;
let keyFile: string;
let publicKey: Uint8Array;
let inner: BloggerServer;
let origin: BloggerServer;
/** Feed requests still to answer with HTTP 500. */
let failFeed = 0;
let feedRequests = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-republish-'));
  const r = await runCli(['keygen', '--out', join(work, 'keys')]);
  expect(r.code, r.err).toBe(0);
  keyFile = join(work, 'keys', 'ferry.key');
  publicKey = await readPublicKey(join(work, 'keys', 'ferry.pub'));
  // The origin: the fixture as Blogger serves it, except that the feed can be made to answer 500.
  inner = await startBloggerServer(CLEAN);
  origin = await startBloggerServer(CLEAN, {
    routes: {
      [FEED_PATH]: async (req, res, base) => {
        feedRequests++;
        if (failFeed > 0) {
          failFeed--;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('origin is down');
          return;
        }
        const answer = await fetch(`${inner.base}${req.url ?? '/'}`);
        const text = (await answer.text()).replaceAll(inner.base, base);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
      },
    },
  });
});
afterAll(async () => {
  await origin.close();
  await inner.close();
  await rm(work, { recursive: true, force: true });
});

const feedUrl = (): string => `${origin.base}${FEED_PATH}`;

/** A fresh folder with its own out, data and directory target. */
async function site(name: string): Promise<{ dir: string; out: string; data: string; pub: string }> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return { dir, out: join(dir, 'site'), data: join(dir, 'data'), pub: join(dir, 'pub') };
}

function configOf(s: { dir: string; out: string; data: string }, patch: Partial<LoadedConfig> = {}): LoadedConfig {
  return {
    ...DEFAULT_CONFIG,
    source: feedUrl(),
    out: s.out,
    data: s.data,
    mirrors: join(s.dir, 'mirrors.json'),
    file: join(s.dir, 'ferry.config.json'),
    publish: { deadlineMinutes: 5, retries: 0, backoffSeconds: 0 },
    ...patch,
  };
}

const dirTarget = (path: string, id = 'pub'): TargetConfig => ({ id, kind: 'directory', path });

async function verifyFolder(dir: string): Promise<{ ok: boolean; version?: number; problems: unknown[] }> {
  return verifySnapshot(folderReader(dir), { publicKey, now: new Date() });
}

/** Everything a reader or a later run could see: the out link and tree, the target, the store. */
async function observable(s: { out: string; data: string; pub: string }): Promise<unknown> {
  const tree = async (d: string): Promise<[string, string][]> =>
    [...(await readTree(d).catch(() => new Map<string, Buffer>()))].map(([p, b]) => [p, b.toString('base64')]);
  return {
    link: await readlink(s.out),
    out: await tree(s.out),
    pub: await tree(s.pub),
    blocks: (await readdir(blockstoreDir(s.data)).catch(() => [])).sort(),
    sites: await tree(join(s.data, 'sites')),
  };
}

describe('ferry publish --json', () => {
  it('records the run, publishes to the directory target and the IPFS store, and a kv target without its token fails alone', async () => {
    const s = await site('cli');
    await writeFile(
      join(s.dir, 'ferry.config.json'),
      JSON.stringify({
        source: feedUrl(),
        out: 'site',
        data: 'data',
        targets: [
          { id: 'kv', kind: 'kv', accountId: 'acc', namespaceId: 'ns', tokenEnv: 'FERRY_TEST_KV_TOKEN_UNSET' },
          { id: 'pub', kind: 'directory', path: 'pub' },
        ],
      }),
    );
    const r = await runCli(['publish', '--config', 'ferry.config.json', '--key', keyFile, '--json'], { cwd: s.dir });
    expect(r.code, r.err).toBe(1); // a target failed
    const report: unknown = JSON.parse(r.out);
    expect(report).toMatchObject({
      trigger: 'manual',
      outcome: 'partial',
      attempt: 1,
      version: 1,
      posts: POSTS,
      quarantined: 0,
      targets: [
        { id: 'kv', kind: 'kv', outcome: 'failed', error: expect.stringMatching(/FERRY_TEST_KV_TOKEN_UNSET is not set/) },
        { id: 'pub', kind: 'directory', outcome: 'ok', deleted: 0, unchanged: 0 },
      ],
      build: { posts: POSTS, version: 1 },
    });
    // Progress per stage and per target on stderr.
    for (const tag of ['[ingest]', '[build]', '[sign]', '[write]', '[ipfs]', '[publish kv]', '[publish pub]']) expect(r.err).toContain(tag);

    const runs = await createFileRunStore(join(s.data, 'runs')).list();
    expect(runs).toHaveLength(1);
    const run = runs[0];
    if (run === undefined || typeof report !== 'object' || report === null) throw new Error('no run recorded');
    expect({ ...report, build: undefined }).toMatchObject({ ...run });
    expect(run.ended).toBeDefined();
    expect(Date.parse(run.ended ?? '')).toBeGreaterThanOrEqual(Date.parse(run.started));

    // The directory target holds exactly the snapshot, and it verifies.
    const verified = await verifyFolder(s.pub);
    expect(verified).toMatchObject({ ok: true, version: 1, problems: [] });
    expect(run.targets[1]?.uploaded).toBe(Object.keys(JSON.parse(await readFile(join(s.out, MANIFEST_PATH), 'utf8')).files).length + 4); // + manifest, signature and their announcement (manifest.next.json, .sig)
    // The recorded CID is the root of what the embedded store now holds.
    const store = createFsBlockstore({ dir: blockstoreDir(s.data) });
    expect(await store.has(CID.parse(run.cid ?? ''))).toBe(true);

    // The next run uploads nothing but what changed (manifest, signature, mirrors page with the CID).
    const again = await runCli(['publish', '--config', 'ferry.config.json', '--key', keyFile, '--json'], { cwd: s.dir });
    expect(JSON.parse(again.out)).toMatchObject({
      outcome: 'partial',
      version: 2,
      targets: [{ outcome: 'failed' }, { outcome: 'ok', deleted: 0 }],
    });
    expect(await verifyFolder(s.pub)).toMatchObject({ ok: true, version: 2 });
  });
});

describe('republish with a failing kv target (fake Cloudflare KV API answering 500)', () => {
  let kv: FakeKvApi;
  beforeAll(async () => {
    kv = await startFakeKvApi({ accountId: 'acc', namespaceId: 'ns', token: 'kv-token' });
  });
  afterAll(async () => {
    await kv.close();
  });

  it('publishes to the directory target after the kv target failed, records partial, then ok', async () => {
    const s = await site('kv500');
    const targets = [
      createKvPublisher(
        { id: 'kv', accountId: 'acc', namespaceId: 'ns', tokenEnv: 'KV_TOKEN', prefix: 'snap:', apiBase: kv.apiBase },
        { env: { KV_TOKEN: 'kv-token' } },
      ),
      createDirectoryPublisher({ id: 'pub', path: s.pub }),
    ];
    const runs = createFileRunStore(join(s.data, 'runs'));
    const ipfs = createFsBlockstore({ dir: blockstoreDir(s.data) });
    const build = { source: feedUrl(), out: s.out, dataDir: s.data, privateKey: await readPrivateKey(keyFile), mirrors: [] };
    kv.failNextWriteOf('snap:/index.html');
    const first = await republish({ build, targets, runs, ipfs, trigger: 'manual', deadlineMs: 60_000 });
    expect(first.run).toMatchObject({
      outcome: 'partial',
      version: 1,
      targets: [
        { id: 'kv', outcome: 'failed', error: expect.stringMatching(/500/) },
        { id: 'pub', outcome: 'ok' },
      ],
    });
    expect(first.run.cid).toMatch(/^bafy/);
    expect(kv.store.has(`snap:${MANIFEST_PATH}`)).toBe(false); // no manifest without its files
    expect(await verifyFolder(s.pub)).toMatchObject({ ok: true, version: 1 });
    expect((await runs.list())[0]).toEqual(first.run);

    const second = await republish({ build, targets, runs, ipfs, trigger: 'schedule', deadlineMs: 60_000 });
    expect(second.run).toMatchObject({
      outcome: 'ok',
      version: 2,
      targets: [
        { id: 'kv', outcome: 'ok' },
        { id: 'pub', outcome: 'ok' },
      ],
    });
    const manifest: unknown = JSON.parse(await readFile(join(s.out, MANIFEST_PATH), 'utf8'));
    const listed =
      typeof manifest === 'object' &&
      manifest !== null &&
      'files' in manifest &&
      typeof manifest.files === 'object' &&
      manifest.files !== null
        ? Object.keys(manifest.files)
        : [];
    expect(listed.length).toBeGreaterThan(POSTS);
    for (const path of [...listed, MANIFEST_PATH]) {
      expect(Buffer.from(kv.store.get(`snap:${path}`)?.value ?? []).equals(await readFile(join(s.out, path))), path).toBe(true);
    }
    expect(await verifyFolder(s.pub)).toMatchObject({ ok: true, version: 2 });
  });
});

describe('createRepublisher', () => {
  it('a failed build (origin answers 500) changes nothing readers see and is recorded as failed', async () => {
    const s = await site('failed-build');
    const republisher = await createRepublisher({ config: configOf(s, { targets: [dirTarget(s.pub)] }), env: {}, keyFile });
    const good = await republisher.run('manual');
    expect(good.run).toMatchObject({ outcome: 'ok', version: 1 });
    const before = await observable(s);

    failFeed = 1;
    const bad = await republisher.run('manual');
    expect(failFeed).toBe(0);
    expect(bad.run).toMatchObject({ outcome: 'failed', attempt: 1, targets: [] });
    expect(bad.run.error).toMatch(/^build: .*500/);
    expect(bad.run.version).toBeUndefined();
    expect(bad.run.cid).toBeUndefined();
    expect(bad.build).toBeUndefined();
    expect(await observable(s)).toEqual(before);
    expect(await verifyFolder(s.out)).toMatchObject({ ok: true, version: 1 });
    expect(await verifyFolder(s.pub)).toMatchObject({ ok: true, version: 1 });
    const runs = await republisher.runs.list();
    expect(runs.map((r) => r.outcome)).toEqual(['failed', 'ok']);
    expect(runs[0]).toEqual(bad.run);

    // The origin is back: the next run goes on from version 1.
    expect((await republisher.run('schedule')).run).toMatchObject({ outcome: 'ok', version: 2 });
  });

  it('retries a failed run with backoff 1x, 2x (publish.retries = 2) and records every attempt', async () => {
    const s = await site('retries');
    const waits: number[] = [];
    const republisher = await createRepublisher({
      config: configOf(s, { targets: [dirTarget(s.pub)], publish: { deadlineMinutes: 5, retries: 2, backoffSeconds: 3 } }),
      env: {},
      keyFile,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    failFeed = 1000;
    const requestsBefore = feedRequests;
    const failed = await republisher.run('schedule');
    failFeed = 0;
    expect(feedRequests - requestsBefore).toBe(3);
    expect(waits).toEqual([3000, 6000]);
    expect(failed.run).toMatchObject({ outcome: 'failed', attempt: 3 });
    expect((await republisher.runs.list()).map((r) => [r.attempt, r.outcome])).toEqual([
      [3, 'failed'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
    await expect(readlink(s.out)).rejects.toThrow(/ENOENT/); // nothing was ever published

    // Two failures, then the origin answers: the third attempt publishes.
    waits.length = 0;
    failFeed = 2;
    const recovered = await republisher.run('schedule');
    expect(waits).toEqual([3000, 6000]);
    expect(recovered.run).toMatchObject({ outcome: 'ok', attempt: 3, version: 1 });
    expect(await verifyFolder(s.pub)).toMatchObject({ ok: true, version: 1 });

    // A run that succeeds at once does not wait.
    waits.length = 0;
    expect((await republisher.run('schedule')).run).toMatchObject({ outcome: 'ok', attempt: 1, version: 2 });
    expect(waits).toEqual([]);
  });

  it('does not retry what the same inputs fail again: a local source folder that is not there', async () => {
    const s = await site('missing-source');
    const waits: number[] = [];
    const said: string[] = [];
    const republisher = await createRepublisher({
      config: configOf(s, {
        source: join(s.dir, 'no-such-posts'),
        targets: [dirTarget(s.pub)],
        publish: { deadlineMinutes: 5, retries: 2, backoffSeconds: 3 },
      }),
      env: {},
      keyFile,
      sleep: async (ms) => {
        waits.push(ms);
      },
      onProgress: (_stage, message) => said.push(message),
    });
    const failed = await republisher.run('manual');
    expect(failed.run).toMatchObject({ outcome: 'failed', attempt: 1 });
    expect(failed.run.error).toMatch(/no-such-posts: no such file or folder$/);
    expect(waits).toEqual([]);
    expect(said.some((m) => /not retried: the same inputs fail the same way/.test(m))).toBe(true);
    await republisher.close();
  });

  it('never runs twice at once: the second run throws LockedError; a lock left by a dead process is taken over', async () => {
    const s = await site('lock');
    const republisher = await createRepublisher({ config: configOf(s, { targets: [dirTarget(s.pub)] }), env: {}, keyFile });
    const [a, b] = await Promise.allSettled([republisher.run('manual'), republisher.run('schedule')]);
    const outcomes = [a, b].map((x) => x.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [a, b].find((x) => x.status === 'rejected');
    expect(rejected?.status === 'rejected' ? rejected.reason : undefined).toBeInstanceOf(LockedError);
    expect(await republisher.runs.list()).toHaveLength(1); // the refused run left no record
    const lockFile = join(s.data, 'publish.lock');
    await expect(readFile(lockFile)).rejects.toThrow(/ENOENT/); // released

    // Held by another live process: refused, naming it.
    const holder = startChild(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { timeoutMs: 30_000 });
    try {
      const pid = holder.child.pid ?? 0;
      await writeFile(lockFile, `${pid}\n`);
      await expect(republisher.run('manual')).rejects.toThrow(new RegExp(`already running \\(process ${pid}`));
      // `ferry build` on the same data folder waits its turn too (same state, same versions).
      const built = await runCli(['build', '--source', feedUrl(), '--out', s.out, '--key', keyFile, '--data', s.data]);
      expect(built.code).not.toBe(0);
      expect(built.err).toMatch(new RegExp(`a build or republish is already running \\(process ${pid}`));
    } finally {
      await holder.stop();
    }
    // The holder died (kill -9): its lock is taken over.
    expect((await republisher.run('manual')).run).toMatchObject({ outcome: 'ok', version: 2 });
    await expect(readFile(lockFile)).rejects.toThrow(/ENOENT/);
  });
});

describe('configuration errors name the file and the field', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'unknown target kind',
      { targets: [{ id: 'cdn', kind: 'ftp', path: 'x' }] },
      /target 'cdn': kind must be one of directory, git, kv, s3/,
    ],
    [
      'a secret where the name of its environment variable belongs',
      { targets: [{ id: 'kv', kind: 'kv', accountId: 'a', namespaceId: 'n', tokenEnv: 'v1.0-3f9a8b7c6d5e4f3a2b1c' }] },
      /target 'kv': tokenEnv must be the NAME of an environment variable \(the secret itself never goes in this file\)/,
    ],
    [
      'a secret in a field of its own',
      { targets: [{ id: 'kv', kind: 'kv', accountId: 'a', namespaceId: 'n', tokenEnv: 'CF_TOKEN', token: 'v1.0-3f9a8b7c6d5e4f3a2b1c' }] },
      /target 'kv': unknown field "token" for kind kv/,
    ],
    [
      'a cron expression with too few fields',
      { schedule: { republish: 'every 30 minutes' } },
      /schedule\.republish must be a cron expression like "\*\/30 \* \* \* \*"/,
    ],
    ['retries out of range', { publish: { retries: 50 } }, /publish\.retries must be a whole number from 0 to 10/],
  ];
  it.each(cases)('%s', async (_name, patch, message) => {
    const s = await site(`config-${Math.random().toString(36).slice(2)}`);
    const file = join(s.dir, 'ferry.config.json');
    await writeFile(file, JSON.stringify({ source: feedUrl(), out: 'site', data: 'data', ...patch }));
    const r = await runCli(['publish', '--config', file, '--key', keyFile, '--json'], { cwd: s.dir });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${file}: `);
    expect(r.err).toMatch(message);
    // Nothing was built or recorded.
    await expect(readdir(s.dir)).resolves.toEqual(['ferry.config.json']);
  });
});
