// A mirror is updated signature file first (it signs the new manifest and still the previous one),
// manifest last: a publish stopped between any two writes leaves a manifest whose signature is
// there. (Found by the crash-safety test: manifest first left a new manifest with an old signature.)
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshotFiles, signedManifestFiles } from '../../src/core/build.ts';
import { createManifest, decodeSignatures, SIGNATURE_PATH } from '../../src/core/manifest.ts';
import { utf8ToString } from '../../src/core/bytes.ts';
import { createDirectoryPublisher, nodeFolderWriter } from '../../src/adapters/publishers/directory-publisher.ts';
import { snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';
import { folderReader, verifySnapshot } from '../../src/node/verify-snapshot.ts';
import { createSampleSite } from '../helpers/sample-site.ts';
import { testKeyPair } from '../helpers/signed-snapshot.ts';
import { bundleServiceWorker } from '../../src/node/service-worker-bundle.ts';

const keys = testKeyPair(4);
const now = new Date('2026-11-26T00:00:00Z');
let dir: string;
let workerCode: string;
beforeAll(async () => {
  workerCode = await bundleServiceWorker();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-sig-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function snapshot(version: number, title: string, previous?: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const site = createSampleSite();
  const files = buildSnapshotFiles({
    site: { ...site, meta: { ...site.meta, title } },
    media: new Map(),
    canonical: 'https://blog.example.org/',
    mirrors: [],
    serviceWorker: { code: workerCode, publicKey: keys.publicKey },
  });
  const manifest = createManifest({
    files,
    version,
    created: now,
    expires: new Date(now.getTime() + 86_400_000),
    canonical: 'https://blog.example.org/',
    mirrors: [],
  });
  const prevSig = previous?.get(SIGNATURE_PATH);
  const prev = prevSig === undefined ? [] : decodeSignatures(utf8ToString(prevSig));
  return new Map([...files, ...signedManifestFiles(manifest, keys.privateKey, prev)]);
}

describe('signature file first, manifest last', () => {
  it('the signature file carries the previous versions, newest first, at most 8', () => {
    let snap = snapshot(1, 'v1');
    const firsts: string[] = [];
    for (let v = 2; v <= 10; v++) {
      snap = snapshot(v, `v${v}`, snap);
      firsts.push(utf8ToString(snap.get(SIGNATURE_PATH) ?? new Uint8Array()).split('\n')[0] ?? '');
    }
    const lines = utf8ToString(snap.get(SIGNATURE_PATH) ?? new Uint8Array())
      .trim()
      .split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe(firsts.at(-1));
    expect(lines[1]).toBe(firsts.at(-2));
  });

  it('a publish that stops right after the signature file leaves a verifiable mirror', async () => {
    const v1 = snapshot(1, 'first');
    const v2 = snapshot(2, 'second', v1);
    await createDirectoryPublisher({ id: 'dir', path: dir }).publish(snapshotFilesOf(v1));
    const failing = {
      ...nodeFolderWriter,
      write: async (file: string, bytes: Uint8Array, durable: boolean) => {
        if (file.endsWith('/manifest.json')) throw new Error('ENOSPC: no space left on device');
        return nodeFolderWriter.write(file, bytes, durable);
      },
    };
    await expect(createDirectoryPublisher({ id: 'dir', path: dir }, { writer: failing }).publish(snapshotFilesOf(v2))).rejects.toThrow(
      /ENOSPC/,
    );
    const report = await verifySnapshot(folderReader(dir), { publicKey: keys.publicKey, now });
    // The old manifest with the new signature file: it verifies, and lists files that are either
    // the old ones or (already written) the new ones: the edge serves those only if they match.
    expect(report.problems.filter((p) => p.path.startsWith('/manifest'))).toEqual([]);
    expect(report.version).toBe(1);
    await createDirectoryPublisher({ id: 'dir', path: dir }).publish(snapshotFilesOf(v2));
    const after = await verifySnapshot(folderReader(dir), { publicKey: keys.publicKey, now });
    expect(after.ok, JSON.stringify(after.problems)).toBe(true);
    expect(after.version).toBe(2);
  });
});
