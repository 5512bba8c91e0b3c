// Rotation end to end in `ferry serve` (a real process): two directory targets served by loopback
// static hosts are the mirrors a and b. When a, the canonical, starts planting a script in its
// pages, the checker finds it compromised within one round, and the snapshot on b is rebuilt and
// re-signed with b as the canonical (rel=canonical, feeds, the mirror list, the manifest) and
// without a in its mirror list; when a serves clean bytes again the canonical does not swing back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { runCli } from '../helpers/run-cli.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { acceptManifest } from '../../src/core/verify.ts';
import { readPublicKey } from '../../src/node/keys.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const EVERY = 2;

let dir: string;
let a: StaticHost;
let b: StaticHost;
let tamper = false;
let serve: ChildProcess | undefined;
const lines: Array<{ at: number; line: string }> = [];

function waitForLine(pattern: RegExp, timeoutMs: number, after = 0): Promise<{ at: number; line: string }> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((done, fail) => {
    const look = (): void => {
      const hit = lines.find((l) => l.at >= after && pattern.test(l.line));
      if (hit !== undefined) return done(hit);
      if (serve?.exitCode !== null && serve?.exitCode !== undefined)
        return fail(new Error(`ferry serve exited ${serve.exitCode}:\n${lines.map((l) => l.line).join('\n')}`));
      if (Date.now() > deadline)
        return fail(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.map((l) => l.line).join('\n')}`));
      setTimeout(look, 50);
    };
    look();
  });
}

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
    }),
  );
  const started = Date.now();
  serve = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'ferry.config.json'), '--port', '0'], {
    cwd: dir,
    env: { ...process.env, XDG_STATE_HOME: join(dir, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [serve.stdout, serve.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) lines.push({ at: Date.now() - started, line });
    });
  }
  await waitForLine(/health round: .*canonical a/, 120_000);
}, 150_000);

afterAll(async () => {
  if (serve !== undefined && serve.exitCode === null) {
    const exited = new Promise((done) => serve?.once('exit', done));
    serve.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 8000))]);
    if (serve.exitCode === null) serve.kill('SIGKILL');
  }
  await Promise.all([a?.close(), b?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('rotation in ferry serve', () => {
  it('moves the canonical to b, signed, when a plants a script, and does not swing back', async () => {
    const pub = await readPublicKey(join(dir, 'data', 'keys', 'ferry.pub'));
    const before = parseManifest(await readFile(join(dir, 'mirror-b', 'manifest.json'), 'utf8'));
    expect(before.canonical).toBe(a.url);

    const t0 = lines.at(-1)?.at ?? 0;
    tamper = true;
    const detected = await waitForLine(/health round: .*a healthy -> compromised/, EVERY * 1000 + 15_000, t0);
    const published = await waitForLine(/rotation republish .*: ok/, 120_000, t0);

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

    // a serves clean bytes again: compromised stays until a maintainer clears it, so no swing back.
    tamper = false;
    const t1 = lines.at(-1)?.at ?? 0;
    await waitForLine(/health round: /, EVERY * 2000 + 5000, t1);
    await waitForLine(/health round: /, EVERY * 2000 + 5000, (lines.at(-1)?.at ?? 0) + 1);
    expect(lines.filter((l) => l.at > t1 && /canonical a/.test(l.line))).toEqual([]);
    console.log(
      JSON.stringify({ rotation: { detectedAfterMs: detected.at - t0, publishedAfterMs: published.at - t0, everySeconds: EVERY } }),
    );
  }, 200_000);
});
