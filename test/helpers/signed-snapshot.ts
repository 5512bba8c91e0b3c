// Signed snapshots for tests, made directly with the manifest core (no `ferry build` needed).
// Importable inside workerd too: node:fs is loaded only by writeSnapshotDir.
import { utf8ToBytes } from '../../src/core/bytes.ts';
import {
  MANIFEST_PATH,
  SIGNATURE_PATH,
  createManifest,
  encodeSignatures,
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
  map.set(SIGNATURE_PATH, utf8ToBytes(encodeSignatures([signBytes(bytes, opts.keyPair.privateKey)])));
  return map;
}

const NODE_FS = 'node:fs/promises';

interface FsSubset {
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
}

function isFs(m: unknown): m is FsSubset {
  return (
    typeof m === 'object' &&
    m !== null &&
    'mkdir' in m &&
    typeof m.mkdir === 'function' &&
    'writeFile' in m &&
    typeof m.writeFile === 'function'
  );
}

/** Write a snapshot as a folder (Node only; the module itself stays importable in workerd). */
export async function writeSnapshotDir(dir: string, map: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const fs: unknown = await import(/* @vite-ignore */ NODE_FS);
  if (!isFs(fs)) throw new Error('writeSnapshotDir needs Node');
  for (const [path, bytes] of map) {
    const file = `${dir.replace(/\/+$/, '')}${path}`;
    await fs.mkdir(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    await fs.writeFile(file, bytes);
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
