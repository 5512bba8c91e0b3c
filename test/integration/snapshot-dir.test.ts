// The snapshot folder: each version is swapped in with one rename; a new version is made out of
// the oldest one no longer kept, replacing only the files that differ, and never changing a file
// another version shares; a build that dies half-way leaves the served version as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openSnapshotWriter, versionsDirOf } from '../../src/adapters/node/snapshot-dir.ts';
import { createManifestFromDigests, serializeManifest } from '../../src/core/manifest.ts';
import { readTree } from '../helpers/tree.ts';

let work: string;
let counter = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-snapdir-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const digestOf = (bytes: Uint8Array): { sha256: string; size: number } => ({
  sha256: createHash('sha256').update(bytes).digest('hex'),
  size: bytes.length,
});

/** Write version `version` holding `files` (text), linking the ones equal to the current version's. */
async function writeVersion(out: string, version: number, files: Record<string, string>, keep: number): Promise<{ ops: number }> {
  const current = await realpath(out).catch(() => undefined);
  const previous = current === undefined ? new Map<string, Buffer>() : await readTree(out);
  const writer = await openSnapshotWriter(out, `v${version}`, { keep });
  const digests = new Map<string, { sha256: string; size: number }>();
  let ops = 0;
  for (const [path, text] of Object.entries(files)) {
    const bytes = Buffer.from(text);
    const digest = digestOf(bytes);
    digests.set(path, digest);
    if (writer.holds(path, digest)) continue;
    if (current !== undefined && previous.get(path)?.equals(bytes)) await writer.link(path, join(current, path));
    else await writer.write(path, bytes);
    ops++;
  }
  const manifest = createManifestFromDigests(
    {
      version,
      created: new Date('2026-11-26T00:00:00Z'),
      expires: new Date('2026-12-10T00:00:00Z'),
      canonical: 'https://m.example/',
      mirrors: [],
    },
    digests,
  );
  await writer.write('/manifest.json', serializeManifest(manifest));
  await writer.write('/manifest.json.sig', Buffer.from('sig\n'));
  const { prune } = await writer.commit();
  await prune();
  return { ops };
}

const withoutManifest = (tree: Map<string, Buffer>): Record<string, string> =>
  Object.fromEntries([...tree].filter(([p]) => p !== '/manifest.json' && p !== '/manifest.json.sig').map(([p, b]) => [p, b.toString()]));

describe('snapshot folder', () => {
  it('recycles the oldest version: exact contents, kept versions untouched', async () => {
    const out = join(work, `site-${++counter}`);
    const versions: Array<Record<string, string>> = [
      { '/a.html': 'A', '/2026/01/b.html': 'B1', '/2026/01/c.html': 'C' },
      { '/a.html': 'A', '/2026/01/b.html': 'B2', '/2026/02/d.html': 'D' },
      { '/a.html': 'A2', '/2026/01/b.html': 'B2', '/2026/03/e.html': 'E', '/2026/02/d.html': 'D' },
      { '/a.html': 'A', '/2026/01/b.html': 'B1', '/2026/01/c.html': 'C2' },
      { '/x.html': 'X' },
      { '/a.html': 'A', '/2026/01/b.html': 'B3' },
    ];
    const seen: Array<{ dir: string; files: Record<string, string>; ino: number }> = [];
    for (const [i, files] of versions.entries()) {
      await writeVersion(out, i + 1, files, 1);
      expect(withoutManifest(await readTree(out)), `version ${i + 1}`).toEqual(files);
      const dir = await realpath(out);
      seen.push({ dir, files, ino: (await stat(dir)).ino });
      // From the third version on, the folder is the one of two versions before, renamed.
      const recycled = seen.at(-3);
      if (recycled !== undefined) expect(seen.at(-1)?.ino, `version ${i + 1} recycles version ${i - 1}`).toBe(recycled.ino);
      // The version kept besides the current one still holds exactly its own files.
      const kept = seen.at(-2);
      if (kept !== undefined) expect(withoutManifest(await readTree(kept.dir)), `version ${i} kept`).toEqual(kept.files);
      const names = (await readdir(versionsDirOf(out))).sort();
      expect(names.length, names.join(',')).toBeLessThanOrEqual(2);
      expect(names.every((n) => /^v\d+-[0-9a-f]{8}$/.test(n))).toBe(true);
    }
    // Empty folders of removed files are gone too.
    await expect(stat(join(out, '2026', '03'))).rejects.toThrow(/ENOENT/);
  });

  it('never recycles a version that lost or gained files, and finishes a removal cut short', async () => {
    const out = join(work, `site-${++counter}`);
    const files = { '/a.html': 'A', '/2026/01/b.html': 'B', '/2026/01/c.html': 'C' };
    await writeVersion(out, 1, files, 1);
    await writeVersion(out, 2, { ...files, '/a.html': 'A2' }, 1);
    // Version 1 (the one the next build would recycle) loses a file; version 2 stays served.
    const versions = versionsDirOf(out);
    const [v1] = (await readdir(versions)).filter((n) => n.startsWith('v1-'));
    if (v1 === undefined) throw new Error('no version 1 folder');
    await rm(join(versions, v1, '2026', '01', 'c.html'));
    await writeVersion(out, 3, { ...files, '/a.html': 'A3' }, 1);
    // Recycled as its manifest claims, version 3 would lack c.html.
    expect(withoutManifest(await readTree(out))).toEqual({ ...files, '/a.html': 'A3' });
    // A removal cut short (renamed aside, half deleted) is finished by the next build.
    await mkdir(join(versions, '.del-v2-0123abcd-89abcdef', '2026'), { recursive: true });
    await writeVersion(out, 4, files, 1);
    expect((await readdir(versions)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(withoutManifest(await readTree(out))).toEqual(files);
  });

  it('changes nothing readers see when a build dies half-way, and the next build cleans up', async () => {
    const out = join(work, `site-${++counter}`);
    await writeVersion(out, 1, { '/a.html': 'A' }, 1);
    await writeVersion(out, 2, { '/a.html': 'A', '/b.html': 'B' }, 1);
    await writeVersion(out, 3, { '/a.html': 'A3', '/b.html': 'B' }, 1);
    const served = await readTree(out);
    // A build that recycles the oldest version and dies before its commit.
    const writer = await openSnapshotWriter(out, 'v4', { keep: 1 });
    await writer.write('/a.html', Buffer.from('half'));
    expect(await readTree(out)).toEqual(served);
    expect((await readdir(versionsDirOf(out))).some((n) => n.startsWith('.tmp-v4-'))).toBe(true);
    // The next build removes what it left and builds from what is kept.
    await writeVersion(out, 4, { '/a.html': 'A4', '/b.html': 'B' }, 1);
    expect(withoutManifest(await readTree(out))).toEqual({ '/a.html': 'A4', '/b.html': 'B' });
    expect((await readdir(versionsDirOf(out))).some((n) => n.startsWith('.tmp-'))).toBe(false);
  });
});
