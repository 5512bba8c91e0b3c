// The Worker edge under a real `wrangler dev` (workerd), over real HTTP: `ferry kv-put --local`
// loads a built snapshot into the local KV wrangler dev persists, with its PNG intact (which
// `wrangler kv bulk put` does not do: workers-sdk#15192), and `npm run dev:worker` takes a fresh
// copy of the project to the blog served in workerd in one command.
import type { ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, brotliDecompressSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/core/bytes.ts';
import { readPublicKey } from '../../src/node/keys.ts';
import { buildSnapshot, type BuiltSnapshot } from '../helpers/built-snapshot.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startChild } from '../helpers/child-process.ts';

const REPO = resolve(import.meta.dirname, '../..');
const WRANGLER = join(REPO, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const quiet = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

let dir: string;
let built: BuiltSnapshot;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-wrangler-dev-'));
  built = await buildSnapshot(join(dir, 'blog'));
});
afterAll(async () => {
  for (const child of running) await stopGroup(child);
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Start a command in its own process group; resolves once its output says wrangler is ready. */
async function startReady(args: string[], cwd: string, timeoutMs = 90_000): Promise<{ child: ChildProcess; log: () => string }> {
  // Ended by stopGroup in afterAll, or at its deadline (test/helpers/child-process.ts) if that never runs.
  const { child } = startChild(process.execPath, args, { cwd, env: { ...process.env, ...quiet }, timeoutMs: 300_000 });
  running.push(child);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (/Ready on http/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready:\n${log}`));
    });
  });
  return { child, log: () => log };
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const late = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, 5000);
  await exited;
  clearTimeout(late);
}

/**
 * GET (node:http adds no Accept-Encoding of its own); the body decoded once per Content-Encoding,
 * so a body the runtime compressed a second time does not come out as the signed bytes.
 */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 20_000, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const body =
          encoding === 'gzip'
            ? gunzipSync(raw)
            : encoding === 'br'
              ? brotliDecompressSync(raw)
              : encoding === 'deflate'
                ? inflateSync(raw)
                : raw;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(body) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 20 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('ferry kv-put --local, then wrangler dev', () => {
  it('serves a page and a PNG byte for byte as the snapshot holds them', async () => {
    const persist = join(dir, 'wrangler-state');
    const load = await runCli(['kv-put', built.out, '--local', '--wrangler-config', join(REPO, 'wrangler.toml'), '--persist-to', persist]);
    expect(load.code, load.err).toBe(0);
    expect(load.out).toMatch(/into local KV FERRY_KV .*: \d+ written, 0 unchanged, 0 deleted/);
    const again = await runCli(['kv-put', built.out, '--local', '--wrangler-config', join(REPO, 'wrangler.toml'), '--persist-to', persist]);
    expect(again.out).toMatch(/: 0 written, \d+ unchanged, 0 deleted/);

    const port = await freePort();
    const key = toBase64(await readPublicKey(built.pubFile));
    const { child } = await startReady(
      [
        WRANGLER,
        'dev',
        '--config',
        join(REPO, 'wrangler.toml'),
        '--persist-to',
        persist,
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        '0',
        '--var',
        `FERRY_PUBLIC_KEY:${key}`,
      ],
      dir,
    );
    try {
      const png = await get(`http://127.0.0.1:${port}${built.pngPath}`);
      expect(png.status).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      expect(png.body).toEqual(built.png);
      expect(png.body).toEqual(new Uint8Array(await readFile(join(built.out, built.pngPath))));

      const signed = new Uint8Array(await readFile(join(built.out, 'index.html')));
      const page = await get(`http://127.0.0.1:${port}/index.html`);
      expect(page.status).toBe(200);
      expect(page.body).toEqual(signed);
      // The app sends its own gzip variant: workerd must pass it on as it is, not gzip it again.
      for (const accept of ['gzip', 'gzip, deflate, br', 'br', 'identity']) {
        const res = await get(`http://127.0.0.1:${port}/index.html`, { 'accept-encoding': accept });
        expect(res.status, accept).toBe(200);
        expect(res.body, `Accept-Encoding: ${accept} (${res.headers['content-encoding'] ?? 'no encoding'})`).toEqual(signed);
      }
      // One range, over the identity bytes: workerd passes the edge's 206 on as it is.
      const part = await get(`http://127.0.0.1:${port}${built.pngPath}`, { range: 'bytes=8-99' });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 8-99/${built.png.length}`);
      expect(part.body).toEqual(built.png.subarray(8, 100));
      const pagePart = await get(`http://127.0.0.1:${port}/index.html`, { range: 'bytes=0-63', 'accept-encoding': 'gzip, br' });
      expect(pagePart.status).toBe(206);
      expect(pagePart.body).toEqual(signed.subarray(0, 64));
      expect(pagePart.headers['access-control-allow-origin']).toBe('*');
      const feed = await get(`http://127.0.0.1:${port}/atom.xml`, { 'accept-encoding': 'gzip' });
      expect(feed.body).toEqual(new Uint8Array(await readFile(join(built.out, 'atom.xml'))));
    } finally {
      await stopGroup(child);
    }
  }, 150_000);

  it('refuses a folder without a wrangler.toml, and a wrangler.toml without the binding', async () => {
    const none = await runCli(['kv-put', built.out, '--local'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.err).toContain('wrangler.toml: no such file; run in the folder of wrangler.toml or pass --wrangler-config FILE');
    const wrong = await runCli([
      'kv-put',
      built.out,
      '--local',
      '--wrangler-config',
      join(REPO, 'wrangler.toml'),
      '--binding',
      'NOPE',
      '--persist-to',
      join(dir, 'unused-state'),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('binds no KV namespace as NOPE');
  }, 60_000);
});

describe('npm run dev:worker', () => {
  it('from a fresh copy: writes .dev.vars from the local key, builds, loads KV, and the blog answers in workerd', async () => {
    // The project as a fresh clone has it (sources and node_modules linked, not copied).
    const project = join(dir, 'clone');
    await mkdir(project, { recursive: true });
    for (const name of ['wrangler.toml', 'ferry.config.json', 'package.json', 'mirrors', 'examples'])
      await cp(join(REPO, name), join(project, name), { recursive: true });
    for (const name of ['src', 'scripts', 'bin', 'node_modules']) await symlink(join(REPO, name), join(project, name));
    const port = await freePort();
    const tsx = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { child } = await startReady(
      [tsx, 'scripts/dev-worker.ts', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', '0'],
      project,
    );
    try {
      const vars = await readFile(join(project, '.dev.vars'), 'utf8');
      const key = toBase64(await readPublicKey(join(project, '.ferry', 'keys', 'ferry.pub')));
      expect(vars).toContain(`FERRY_PUBLIC_KEY=${key}\n`);

      const health = await get(`http://127.0.0.1:${port}/_ferry/health`);
      expect(health.status).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(health.body))).toMatchObject({
        manifest: { version: 1, expired: false, source: 'kv' },
      });
      const home = await get(`http://127.0.0.1:${port}/`);
      expect(home.status).toBe(200);
      expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(home.body).toEqual(new Uint8Array(await readFile(join(project, '.ferry', 'site', 'index.html'))));
    } finally {
      await stopGroup(child);
    }
  }, 150_000);
});
