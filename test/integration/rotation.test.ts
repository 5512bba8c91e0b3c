// Rotation end to end in `ferry serve` (a real process): two directory targets served by loopback
// static hosts are the mirrors a and b. When a, the canonical, starts planting a script in its
// pages, the checker finds it compromised within one round, and the snapshot on b is rebuilt and
// re-signed with b as the canonical (rel=canonical, feeds, the mirror list, the manifest) and
// without a in its mirror list; when a serves clean bytes again the canonical does not swing back.
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';
import { runCli } from '../helpers/run-cli.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { acceptManifest } from '../../src/core/verify.ts';
import { readPublicKey } from '../../src/node/keys.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const EVERY = 2;

let dir: string;
let a: StaticHost;
let b: StaticHost;
let tamper = false;
let serve: ServeProcess;
let hook: Server;
/** What the maintainers' webhook received, as JSON. */
const alerts: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-rotation-'));
  await cp(EXAMPLES, join(dir, 'posts'), { recursive: true });
  a = await startStaticHost(join(dir, 'mirror-a'), '/', {
    transform: (path, body) =>
      tamper && (path.endsWith('/') || path.endsWith('.html'))
        ? Buffer.from(body.toString('utf8').replace('</head>', '<script src="https://evil.example/x.js"></script></head>'))
        : body,
  });
  b = await startStaticHost(join(dir, 'mirror-b'), '/blog/');
  hook = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/ferry`;
  await writeFile(
    join(dir, 'mirrors.json'),
    JSON.stringify({
      mirrors: [
        { id: 'a', kind: 'http', url: `${a.url}`, priority: 1 },
        { id: 'b', kind: 'http', url: `${b.url}`, priority: 2 },
      ],
    }),
  );
  await writeFile(
    join(dir, 'ferry.config.json'),
    JSON.stringify({
      source: 'posts',
      out: 'site',
      data: 'data',
      mirrors: 'mirrors.json',
      targets: [
        { id: 'a', kind: 'directory', path: 'mirror-a' },
        { id: 'b', kind: 'directory', path: 'mirror-b' },
      ],
      ipfs: { embedded: false },
      health: { every: EVERY, cooldownSeconds: 3600 },
      alerts: [{ id: 'ops', kind: 'webhook', url: hookUrl }],
    }),
  );
  serve = startServe(['--config', join(dir, 'ferry.config.json'), '--port', '0'], {
    cwd: dir,
    env: { XDG_STATE_HOME: join(dir, 'state') },
  });
  await serve.waitFor(/health round: .*canonical a/, 120_000);
}, 150_000);

afterAll(async () => {
  await serve?.stop();
  await Promise.all([a?.close(), b?.close(), new Promise((r) => hook?.close(r))]);
  await rm(dir, { recursive: true, force: true });
});

describe('rotation in ferry serve', () => {
  it('moves the canonical to b, signed, when a plants a script, and does not swing back', async () => {
    const pub = await readPublicKey(join(dir, 'data', 'keys', 'ferry.pub'));
    const before = parseManifest(await readFile(join(dir, 'mirror-b', 'manifest.json'), 'utf8'));
    expect(before.canonical).toBe(a.url);

    const t0 = serve.lastAt();
    tamper = true;
    const detected = await serve.waitFor(/health round: .*a healthy -> compromised/, EVERY * 1000 + 15_000, t0);
    const published = await serve.waitFor(/rotation republish .*: ok/, 120_000, t0);

    // Signed with the publisher's key, as a reader's edge accepts it (over HTTP from b).
    const manifestBytes = new Uint8Array(await (await fetch(`${b.url}manifest.json`)).arrayBuffer());
    const sig = await (await fetch(`${b.url}manifest.json.sig`)).text();
    const after = acceptManifest(manifestBytes, sig, { publicKey: pub, now: new Date(), minVersion: before.version + 1 });
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.canonical).toBe(b.url);
    expect(after.mirrors.map((m) => m.id)).toEqual(['b']);

    const index = await (await fetch(b.url)).text();
    expect(index).toContain(`<link rel="canonical" href="${b.url}"`);
    const atom = await (await fetch(`${b.url}atom.xml`)).text();
    expect(atom).toContain(b.url);
    expect(atom).not.toContain(a.url);
    const mirrorsJson = (await (await fetch(`${b.url}mirrors.json`)).json()) as { mirrors: Array<{ id: string }> };
    expect(mirrorsJson.mirrors.map((m) => m.id)).toEqual(['b']);
    // The CLI's own check agrees, over the same mirror list.
    const check = await runCli(
      ['check', '--mirrors', join(dir, 'mirrors.json'), '--pubkey', join(dir, 'data', 'keys', 'ferry.pub'), '--json'],
      { cwd: dir },
    );
    const report = JSON.parse(check.out) as { mirrors: Array<{ id: string; verdict: string }>; canonical: string };
    expect(report.mirrors.find((m) => m.id === 'a')?.verdict).toBe('compromised');
    expect(report.canonical).toBe('b');
    expect(check.code).toBe(0);

    // The maintainers heard of it, in both languages, naming the mirror and the new canonical.
    await serve.waitFor(/alert ops: sent: /, 20_000, t0);
    const told = JSON.stringify(alerts);
    expect(told).toMatch(/compromised/);
    expect(told).toContain('被篡改');
    expect(told).toContain(a.url);

    // a serves clean bytes again: compromised stays until a maintainer clears it, so no swing back.
    tamper = false;
    const t1 = serve.lastAt();
    await serve.waitFor(/health round: /, EVERY * 2000 + 5000, t1);
    await serve.waitFor(/health round: /, EVERY * 2000 + 5000, serve.lastAt() + 1);
    expect(serve.lines.filter((l) => l.at > t1 && /canonical a/.test(l.line))).toEqual([]);
    console.log(
      JSON.stringify({ rotation: { detectedAfterMs: detected.at - t0, publishedAfterMs: published.at - t0, everySeconds: EVERY } }),
    );
  }, 200_000);
});
