// Signed snapshots for tests, made directly with the manifest core (no `ferry build` needed).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { utf8ToBytes } from '../../src/core/bytes.ts';
import {
  MANIFEST_PATH,
  SIGNATURE_PATH,
  createManifest,
  encodeSignature,
  generateKeyPair,
  serializeManifest,
  signBytes,
  type KeyPair,
} from '../../src/core/manifest.ts';
import type { MirrorRef } from '../../src/core/model.ts';

export interface SnapshotOptions {
  version: number;
  keyPair: KeyPair;
  now: Date;
  expiresInMs: number;
  mirrors: MirrorRef[];
  canonical: string;
}

/** path -> bytes, including /manifest.json and /manifest.json.sig. */
export function makeSignedSnapshot(files: Record<string, string | Uint8Array>, opts: SnapshotOptions): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(files)) {
    map.set(path, typeof content === 'string' ? utf8ToBytes(content) : content);
  }
  const manifest = createManifest({
    files: map,
    version: opts.version,
    created: opts.now,
    expires: new Date(opts.now.getTime() + opts.expiresInMs),
    canonical: opts.canonical,
    mirrors: opts.mirrors,
  });
  const bytes = serializeManifest(manifest);
  map.set(MANIFEST_PATH, bytes);
  map.set(SIGNATURE_PATH, utf8ToBytes(encodeSignature(signBytes(bytes, opts.keyPair.privateKey))));
  return map;
}

export async function writeSnapshotDir(dir: string, map: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of map) {
    const file = join(dir, ...path.slice(1).split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
}

/** A deterministic key pair from a one-byte seed (tests only). */
export function testKeyPair(seed: number): KeyPair {
  return generateKeyPair(new Uint8Array(32).fill(seed));
}

/** A small blog: pages in Chinese and English, a feed, an image, a 404 page, a mirror list. */
export function sampleFiles(): Record<string, string | Uint8Array> {
  const png = new Uint8Array(2048);
  for (let i = 0; i < png.length; i++) png[i] = (i * 7919) % 251;
  return {
    '/index.html': `<!doctype html><html lang="zh"><title>公民自由联盟</title><body><h1>公民自由联盟</h1>${'<p>新闻 news</p>'.repeat(40)}</body></html>`,
    '/2016/06/27th-anniversary.html': `<!doctype html><html><title>27th anniversary</title><body>${'<p>六四 27 周年</p>'.repeat(30)}</body></html>`,
    '/2016/06/index.html': '<!doctype html><html><title>2016/06</title><body><a href="/2016/06/27th-anniversary.html">x</a></body></html>',
    '/media/protest-1.png': png,
    '/rss.xml': `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${'<item><title>a</title></item>'.repeat(20)}</channel></rss>`,
    '/404.html': '<!doctype html><html><title>404</title><body>snapshot 404 page</body></html>',
  };
}
