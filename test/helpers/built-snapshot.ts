// A snapshot made the way a user makes one: `ferry keygen`, then `ferry build --out` over a small
// Markdown folder (Chinese and English) whose post shows a PNG served by a loopback origin, so the
// snapshot holds a real binary file (bytes that are not UTF-8) under /media/.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { runCli } from './run-cli.ts';

export interface BuiltSnapshot {
  /** The link `ferry build --out` made (to a versioned folder). */
  out: string;
  keyFile: string;
  pubFile: string;
  /** Snapshot path of the copied PNG, e.g. /media/<hash>.png */
  pngPath: string;
  png: Uint8Array;
}

/** A 16x16 RGB PNG (signature 0x89 'PNG': not valid UTF-8, as a binary test needs). */
export function makePng(seed = 1): Uint8Array {
  const rows: number[] = [];
  for (let y = 0; y < 16; y++) {
    rows.push(0);
    for (let x = 0; x < 48; x++) rows.push((x * 37 + y * 11 + seed * 101) % 256);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(16, 0);
  ihdr.writeUInt32BE(16, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.from(rows))),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Build into dir/site with a key in dir/keys. `posts` adds more Markdown files (name -> text);
 * extra arguments go to `ferry build`. The image origin runs only during the build.
 */
export async function buildSnapshot(
  dir: string,
  { posts = {}, args = [], png = makePng() }: { posts?: Record<string, string>; args?: string[]; png?: Uint8Array } = {},
): Promise<BuiltSnapshot> {
  const origin = createServer((req, res) => {
    if (req.url === '/protest.png') res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const port = (origin.address() as AddressInfo).port;
  try {
    const source = join(dir, 'posts');
    await mkdir(source, { recursive: true });
    await writeFile(
      join(source, 'protest.md'),
      `---\ntitle: 六四 27 周年 / 27th anniversary\ndate: 2016-06-04T08:00:00Z\nlang: zh\n---\n悼念 Remembering.\n\n![protest](http://127.0.0.1:${port}/protest.png)\n`,
    );
    for (const [name, text] of Object.entries(posts)) await writeFile(join(source, name), text);
    const keys = join(dir, 'keys');
    const made = await runCli(['keygen', '--out', keys]);
    if (made.code !== 0 && !made.err.includes('already exists')) throw new Error(`ferry keygen: ${made.err}`);
    const out = join(dir, 'site');
    const built = await runCli(
      [
        'build',
        '--source',
        source,
        '--out',
        out,
        '--key',
        join(keys, 'ferry.key'),
        '--data',
        join(dir, 'data'),
        '--media-host',
        '127.0.0.1',
        '--json',
        ...args,
      ],
      { cwd: dir },
    );
    if (built.code !== 0) throw new Error(`ferry build: ${built.err}`);
    const media = (await readdir(join(out, 'media'))).filter((n) => n.endsWith('.png'));
    const name = media[0];
    if (media.length !== 1 || name === undefined) throw new Error(`expected one PNG in ${out}/media, found ${media.join(', ')}`);
    return { out, keyFile: join(keys, 'ferry.key'), pubFile: join(keys, 'ferry.pub'), pngPath: `/media/${name}`, png };
  } finally {
    await new Promise<void>((r) => origin.close(() => r()));
  }
}
