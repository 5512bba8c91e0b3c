// The one contract every PublishTarget adapter meets, run per adapter by publishers.test.ts
// (modelled on unstorage's test/drivers/utils.ts). Each adapter brings a harness that reads the
// target back the way a reader would and reports the writes its backing store saw, in order.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { utf8ToBytes, utf8ToString } from '../../src/core/bytes.ts';
import { signSnapshot } from '../../src/core/build.ts';
import { MANIFEST_PATH, SIGNATURE_PATH, generateKeyPair, type KeyPair } from '../../src/core/manifest.ts';
import { acceptManifest, checkFile } from '../../src/core/verify.ts';
import { PublishError, type PublishTarget, type SnapshotFiles } from '../../src/ports/publisher.ts';
import { snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';
import { sampleFiles } from '../helpers/signed-snapshot.ts';

export interface BackingWrite {
  op: 'put' | 'delete';
  path: string;
}

export interface PublisherHarness {
  target: PublishTarget;
  /** Everything a reader of the target can fetch now: snapshot path -> bytes. */
  read(): Promise<Map<string, Uint8Array>>;
  /** The writes the backing store saw since the last call, in the order it saw them. */
  takeLog(): Promise<BackingWrite[]>;
  /** True when the store applies a whole publish at once (a git push): order is not observable. */
  atomic?: boolean;
  /** Make the backing store refuse the next write of this path (HTTP 500, an fs error, a rejected push). */
  failWrite(path: string): void;
  close(): Promise<void>;
}

const NOW = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

function snapshot(version: number, key: KeyPair, files: Record<string, string | Uint8Array>): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  for (const [p, c] of Object.entries(files)) map.set(p, typeof c === 'string' ? utf8ToBytes(c) : c);
  return signSnapshot(map, {
    version,
    created: new Date(NOW.getTime() + version * 1000),
    expires: new Date(NOW.getTime() + 30 * DAY),
    canonical: 'https://blog.example.org/',
    mirrors: [],
    privateKey: key.privateKey,
  }).files;
}

/** The target serves exactly `want`, and it verifies against the pinned key. */
function expectServes(got: ReadonlyMap<string, Uint8Array>, want: ReadonlyMap<string, Uint8Array>, key: KeyPair, version: number): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  const manifestBytes = got.get(MANIFEST_PATH);
  const sig = got.get(SIGNATURE_PATH);
  if (manifestBytes === undefined || sig === undefined) throw new Error('target has no manifest.json or manifest.json.sig');
  const manifest = acceptManifest(manifestBytes, utf8ToString(sig), { publicKey: key.publicKey, now: NOW, minVersion: version });
  expect(manifest.version).toBe(version);
  for (const [path, bytes] of got) {
    if (path === MANIFEST_PATH || path === SIGNATURE_PATH) continue;
    checkFile(manifest, path, bytes, 'contract');
  }
}

/** The snapshot as publishers take it, noting every path read from it. */
function lazy(files: ReadonlyMap<string, Uint8Array>, reads: string[] = [], tamper?: { path: string; bytes: Uint8Array }): SnapshotFiles {
  const inner = snapshotFilesOf(files);
  return {
    entries: inner.entries,
    async read(path, signal) {
      reads.push(path);
      return tamper?.path === path ? tamper.bytes : inner.read(path, signal);
    },
  };
}

function puts(log: readonly BackingWrite[]): string[] {
  return log.filter((w) => w.op === 'put').map((w) => w.path);
}

export function describePublisherContract(name: string, setup: () => Promise<PublisherHarness>): void {
  describe(`publisher contract: ${name}`, () => {
    const key = generateKeyPair(new Uint8Array(32).fill(42));
    const base = {
      ...sampleFiles(),
      '/labels/人权.html': '<!doctype html><title>人权</title><p>人权 human rights</p>',
      '/2016/06/a b+c(1).html': '<!doctype html><title>odd name</title>',
    };
    const v1 = snapshot(1, key, base);
    const v2 = snapshot(2, key, { ...base, '/index.html': '<!doctype html><title>公民自由联盟</title><p>changed 改变</p>' });
    const withoutNotFound: Record<string, string | Uint8Array> = Object.fromEntries(
      Object.entries({ ...base, '/index.html': '<!doctype html><title>公民自由联盟</title><p>changed 改变</p>' }).filter(
        ([p]) => p !== '/404.html',
      ),
    );
    const v3 = snapshot(3, key, withoutNotFound);
    const v4 = snapshot(4, key, {
      ...withoutNotFound,
      '/rss.xml': '<?xml version="1.0"?><rss version="2.0"><channel><title>new</title></channel></rss>',
    });
    let h: PublisherHarness;

    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h.close();
    });

    it('starts empty: current() is undefined', async () => {
      expect(await h.target.current()).toBeUndefined();
    });

    it('refuses a snapshot whose manifest does not list its files, writing nothing', async () => {
      const bad = new Map(v1);
      bad.set('/extra.html', utf8ToBytes('not listed'));
      const err = await h.target.publish(lazy(bad)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(String(err)).toContain(h.target.id);
      expect(String(err)).toContain('/extra.html');
      expect(await h.takeLog()).toEqual([]);
    });

    it('first publish uploads every file, signature then manifest last', async () => {
      const progress: string[] = [];
      const r = await h.target.publish(lazy(v1), { onProgress: (m) => progress.push(m) });
      const total = [...v1.values()].reduce((n, b) => n + b.length, 0);
      expect(r).toEqual({ uploaded: v1.size, deleted: 0, unchanged: 0, bytes: total });
      expect(progress.length).toBeGreaterThan(0);
      const log = await h.takeLog();
      expect(puts(log).sort()).toEqual([...v1.keys()].sort());
      if (!h.atomic) expect(puts(log).slice(-2)).toEqual([SIGNATURE_PATH, MANIFEST_PATH]);
      expectServes(await h.read(), v1, key, 1);
      expect((await h.target.current())?.version).toBe(1);
    });

    it('republishing the same snapshot uploads nothing and reads only the manifest and its signature', async () => {
      const reads: string[] = [];
      const r = await h.target.publish(lazy(v1, reads));
      expect(reads.sort()).toEqual([MANIFEST_PATH, SIGNATURE_PATH]);
      expect(r).toEqual({ uploaded: 0, deleted: 0, unchanged: v1.size, bytes: 0 });
      expect(await h.takeLog()).toEqual([]);
      expectServes(await h.read(), v1, key, 1);
    });

    it('a file whose bytes differ from the manifest when read for upload is refused; nothing is committed', async () => {
      const tamper = { path: '/index.html', bytes: utf8ToBytes('<script>evil()</script>') };
      const err = await h.target.publish(lazy(v2, [], tamper)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(err).toMatchObject({ operation: 'check', path: '/index.html', targetId: h.target.id });
      expect(puts(await h.takeLog())).not.toContain(MANIFEST_PATH);
      expectServes(await h.read(), v1, key, 1);
      expect((await h.target.current())?.version).toBe(1);
    });

    it('a change to one file uploads exactly that file, then signature and manifest, reading nothing else', async () => {
      const reads: string[] = [];
      const r = await h.target.publish(lazy(v2, reads));
      expect([...new Set(reads)].sort()).toEqual(['/index.html', MANIFEST_PATH, SIGNATURE_PATH].sort());
      expect(r.uploaded).toBe(3);
      expect(r.deleted).toBe(0);
      expect(r.unchanged).toBe(v2.size - 3);
      const log = await h.takeLog();
      if (h.atomic) expect(puts(log).sort()).toEqual(['/index.html', MANIFEST_PATH, SIGNATURE_PATH].sort());
      else expect(puts(log)).toEqual(['/index.html', SIGNATURE_PATH, MANIFEST_PATH]);
      expectServes(await h.read(), v2, key, 2);
    });

    it('a file no longer in the snapshot is deleted, after the new manifest is in place', async () => {
      const r = await h.target.publish(lazy(v3));
      expect(r).toMatchObject({ uploaded: 2, deleted: 1, unchanged: v3.size - 2 });
      const log = await h.takeLog();
      expect(log.filter((w) => w.op === 'delete').map((w) => w.path)).toEqual(['/404.html']);
      if (!h.atomic) {
        expect(log.findIndex((w) => w.op === 'delete')).toBeGreaterThan(log.findIndex((w) => w.path === MANIFEST_PATH));
      }
      expectServes(await h.read(), v3, key, 3);
    });

    it('a failed upload leaves the previous manifest and files in place, and names target and path', async () => {
      h.failWrite('/rss.xml');
      const err = await h.target.publish(lazy(v4)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(String(err)).toContain(`'${h.target.id}'`);
      expect(String(err)).toContain('/rss.xml');
      const log = await h.takeLog();
      expect(puts(log)).not.toContain(MANIFEST_PATH);
      expectServes(await h.read(), v3, key, 3);
      expect((await h.target.current())?.version).toBe(3);
    });

    it('the next run after a failure completes', async () => {
      const r = await h.target.publish(lazy(v4));
      expect(r.uploaded).toBe(3);
      expectServes(await h.read(), v4, key, 4);
      expect((await h.target.current())?.version).toBe(4);
    });
  });
}
