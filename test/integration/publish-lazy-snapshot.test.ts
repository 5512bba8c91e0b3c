// The publish side reads what changed, not the whole snapshot: openSnapshotFiles reads two files
// to open 11,000; the directory target's stat cache keeps it from reading back files it wrote;
// a file edited behind Ferry's back (in the target folder or in the snapshot) is still caught.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8ToString } from '../../src/core/bytes.ts';
import { MANIFEST_PATH, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH, SIGNATURE_PATH } from '../../src/core/manifest.ts';
import { PublishError, type SnapshotFiles } from '../../src/ports/publisher.ts';
import { announceSnapshot, openSnapshotFiles, snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';
import { createDirectoryPublisher, nodeFolderWriter, type FolderWriter } from '../../src/adapters/publishers/directory-publisher.ts';
import { FOLDER_STAT_CACHE_FORMAT, parseFolderStatCache } from '../../src/adapters/publishers/folder-stat-cache.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair, writeSnapshotDir } from '../helpers/signed-snapshot.ts';

const keyPair = testKeyPair(9);
const snap = (version: number, extra: Record<string, string> = {}) =>
  makeSignedSnapshot(
    { ...sampleFiles(), ...extra },
    { version, keyPair, now: new Date('2026-05-01T00:00:00Z'), expiresInMs: 1e9, mirrors: [], canonical: 'https://x.example/' },
  );

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-lazy-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** File times are coarse (a few ms): let them move on, so files written so far are older than the next cache. */
const tick = () => new Promise((r) => setTimeout(r, 30));

/**
 * Publish once more after a tick: files the last publish wrote in the same tick as its cache were
 * not trusted (racy) and are verified now; from then on nothing unchanged is read.
 */
async function settle(target: { publish: (f: SnapshotFiles) => Promise<unknown> }, files: SnapshotFiles): Promise<void> {
  await tick();
  await target.publish(files);
  await tick();
}

/** node:fs, counting the target files read back (to hash them). */
function countingWriter(): FolderWriter & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    write: (file, bytes, durable) => nodeFolderWriter.write(file, bytes, durable),
    remove: (file) => nodeFolderWriter.remove(file),
    read: (file) => {
      reads.push(file);
      return nodeFolderWriter.read(file);
    },
  };
}

describe('openSnapshotFiles', () => {
  it('reads only manifest.json and its signature to open; other files when asked', async () => {
    const v1 = snap(1);
    const out = join(dir, 'site');
    await writeSnapshotDir(out, v1);
    const read: string[] = [];
    const files = await openSnapshotFiles(out, { readFile: (file) => (read.push(file.slice(out.length)), readFile(file)) });
    expect(read.sort()).toEqual([MANIFEST_PATH, SIGNATURE_PATH]);
    expect([...files.entries.keys()].sort()).toEqual([...v1.keys()].sort());
    expect(files.entries.get('/index.html')).toEqual(snapshotFilesOf(v1).entries.get('/index.html'));
    expect(utf8ToString(await files.read('/index.html'))).toBe(utf8ToString(v1.get('/index.html') ?? new Uint8Array()));
    await expect(files.read('/not-there.html')).rejects.toThrow(/not in the snapshot/);
    const announced = announceSnapshot(files);
    expect(announced.entries.get(NEXT_MANIFEST_PATH)).toEqual(files.entries.get(MANIFEST_PATH));
    expect(utf8ToString(await announced.read(NEXT_SIGNATURE_PATH))).toBe(utf8ToString(await files.read(SIGNATURE_PATH)));
  });

  it('names the folder when there is no snapshot', async () => {
    await expect(openSnapshotFiles(join(dir, 'nothing'))).rejects.toThrow(/nothing holds no snapshot.*ferry build/);
  });

  it('a snapshot file changed on disk after signing is refused when a target reads it, before any manifest is written', async () => {
    const out = join(dir, 'site');
    await writeSnapshotDir(out, snap(1));
    const www = join(dir, 'www');
    const target = createDirectoryPublisher({ id: 'www', path: www });
    await target.publish(await openSnapshotFiles(out));
    const v2 = snap(2, { '/index.html': 'version two' });
    await writeSnapshotDir(out, v2);
    await writeFile(join(out, 'index.html'), 'version 2!!'); // same size, other bytes
    const err = await target.publish(await openSnapshotFiles(out)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ operation: 'check', path: '/index.html' });
    expect((await target.current())?.version).toBe(1);
    expect(await readFile(join(www, 'index.html'), 'utf8')).toBe(utf8ToString(snap(1).get('/index.html') ?? new Uint8Array()));
  });
});

describe('directory target stat cache', () => {
  const setup = () => {
    const www = join(dir, 'www');
    const cacheFile = join(dir, 'data', 'folder-stat.json');
    const writer = countingWriter();
    const target = createDirectoryPublisher({ id: 'www', path: www, statCacheFile: cacheFile }, { writer });
    return { www, cacheFile, writer, target };
  };

  it('does not read back files it wrote or verified; without the cache it does', async () => {
    const { www, writer, target } = setup();
    const v1 = announceSnapshot(snapshotFilesOf(snap(1)));
    await target.publish(v1);
    await settle(target, v1);
    writer.reads.length = 0;
    const r = await target.publish(announceSnapshot(snapshotFilesOf(snap(2, { '/new.html': 'a new post' }))));
    expect(r.uploaded).toBe(5); // new.html, the announcement (2), signature, manifest
    expect(writer.reads).toEqual([]);
    // The same folder without a cache reads every file whose size could match.
    const plain = countingWriter();
    const again = await createDirectoryPublisher({ id: 'www', path: www }, { writer: plain }).publish(
      announceSnapshot(snapshotFilesOf(snap(2, { '/new.html': 'a new post' }))),
    );
    expect(again.uploaded).toBe(0);
    expect(plain.reads.length).toBeGreaterThan(5);
  });

  it("a file edited behind Ferry's back is read, hashed and uploaded again (size kept, even with its mtime put back)", async () => {
    const { www, writer, target } = setup();
    const v1 = snapshotFilesOf(snap(1));
    await target.publish(v1);
    // Right after the publish (same timestamp tick, mtime put back) and after time has passed.
    for (const wait of [false, true]) {
      if (wait) await settle(target, v1);
      const file = join(www, 'index.html');
      const before = await stat(file);
      const original = await readFile(file, 'utf8');
      await writeFile(file, new Uint8Array(before.size).fill(0x58)); // same size, same inode
      await utimes(file, before.atime, before.mtime); // mtime as it was: only ctime (or racy) tells
      writer.reads.length = 0;
      const r = await target.publish(v1);
      expect(writer.reads).toContain(file);
      expect(r).toMatchObject({ uploaded: 1, unchanged: v1.entries.size - 1 });
      expect(await readFile(file, 'utf8')).toBe(original);
    }
    await settle(target, v1);
    writer.reads.length = 0;
    expect((await target.publish(v1)).uploaded).toBe(0);
    expect(writer.reads).toEqual([]);
  });

  it("a file replaced behind Ferry's back (new inode, other size) is uploaded again", async () => {
    const { www, target } = setup();
    const v1 = snapshotFilesOf(snap(1));
    await target.publish(v1);
    const file = join(www, 'index.html');
    const original = await readFile(file, 'utf8');
    await rm(file);
    await writeFile(file, '<script>evil()</script>');
    expect((await target.publish(v1)).uploaded).toBe(1);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('a damaged cache, or one recorded for another folder, means hashing every file once more', async () => {
    const { cacheFile, writer, target } = setup();
    const v1 = snapshotFilesOf(snap(1));
    await target.publish(v1);
    await settle(target, v1);
    for (const damage of [
      '{"format":"ferry-folder-stat/1","root":',
      JSON.stringify({ format: 'ferry-folder-stat/1', root: '/elsewhere', files: {} }),
    ]) {
      await writeFile(cacheFile, damage);
      writer.reads.length = 0;
      expect((await target.publish(v1)).uploaded).toBe(0);
      expect(writer.reads).toHaveLength(v1.entries.size);
    }
    await settle(target, v1);
    writer.reads.length = 0;
    await target.publish(v1);
    expect(writer.reads).toEqual([]);
  });

  it('after a failed publish the cache still only vouches for what the folder holds', async () => {
    const { www, cacheFile } = setup();
    const v1 = snapshotFilesOf(snap(1));
    const v2 = snapshotFilesOf(snap(2, { '/index.html': 'two', '/b.html': 'b' }));
    const failing: FolderWriter = {
      ...nodeFolderWriter,
      write: async (file, bytes, durable) => {
        if (file.endsWith('b.html')) throw new Error('EIO: injected');
        return nodeFolderWriter.write(file, bytes, durable);
      },
    };
    await createDirectoryPublisher({ id: 'www', path: www, statCacheFile: cacheFile }).publish(v1);
    await settle(createDirectoryPublisher({ id: 'www', path: www, statCacheFile: cacheFile }), v1);
    await expect(
      createDirectoryPublisher({ id: 'www', path: www, statCacheFile: cacheFile }, { writer: failing }).publish(v2),
    ).rejects.toThrow(/EIO/);
    await tick();
    const writer = countingWriter();
    const r = await createDirectoryPublisher({ id: 'www', path: www, statCacheFile: cacheFile }, { writer }).publish(v2);
    // b.html, signature, manifest (and index.html unless it was written before the failure).
    expect([3, 4]).toContain(r.uploaded);
    // Only index.html may be read back: if written by the failed publish, it was in the same
    // timestamp tick as the cache (racy). Every other file is vouched for by the cache.
    expect(writer.reads.filter((f) => !f.endsWith('/index.html'))).toEqual([]);
    expect(await readFile(join(www, 'b.html'), 'utf8')).toBe('b');
    expect(await readFile(join(www, 'index.html'), 'utf8')).toBe('two');
  });
});

describe('parseFolderStatCache', () => {
  const sha = 'a'.repeat(64);
  const text = (files: Record<string, unknown>, root = '/srv/www') => JSON.stringify({ format: FOLDER_STAT_CACHE_FORMAT, root, files });
  it('leaves out entries as new as the cache itself (racy: edited in the same timestamp tick)', () => {
    const got = parseFolderStatCache(
      text({ '/old.html': [5, 1000, 1000, 7, sha], '/same-tick.html': [5, 1000, 2000, 8, sha], '/later.html': [5, 2500, 2500, 9, sha] }),
      '/srv/www',
      2000,
    );
    expect([...got.keys()]).toEqual(['/old.html']);
    expect(got.get('/old.html')).toEqual({ size: 5, mtimeMs: 1000, ctimeMs: 1000, ino: 7, sha256: sha });
  });
  it('is empty for another folder, another format or any malformed entry', () => {
    expect(parseFolderStatCache(text({ '/a': [5, 1, 1, 1, sha] }, '/elsewhere'), '/srv/www', 9).size).toBe(0);
    expect(parseFolderStatCache(text({ '/a': [5, 1, 1, 1, sha], '/b': [5, 1, 1, 1, 'nothex'] }), '/srv/www', 9).size).toBe(0);
    expect(parseFolderStatCache(text({ '/a': [5, '1', 1, 1, sha] }), '/srv/www', 9).size).toBe(0);
    expect(parseFolderStatCache('not json', '/srv/www', 9).size).toBe(0);
  });
});
