// Benchmark: readers through `ferry edge` while its mirrors misbehave. A snapshot of 5,000 posts on
// 4 loopback mirrors; every 2 s each mirror but one changes fault (hang, HTTP 500, slow, a planted
// script, a censor's block page, good). `--good fixed` (default): the fourth (last by priority) is
// always the good one; `--good rotating`: each period another mirror is the good one, so in time
// every mirror has planted a script. 50 readers ask for random posts for 30 s. JSON out: requests,
// errors (any status but 200), mismatches (a 200 whose bytes differ from the snapshot), latency.
// The goal is 0 and 0.
//   npx tsx scripts/bench/chaos.ts [--seconds 30] [--readers 50] [--posts 5000] [--period 2000] [--good fixed|rotating]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePublicKeyPem, generateKeyPair } from '../../src/core/manifest.ts';
import { startMirrorServer, type Fault, type MirrorServer } from '../../test/helpers/fault-mirrors.ts';
import { makeSignedSnapshot } from '../../test/helpers/signed-snapshot.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
};
const seconds = arg('seconds', 30);
const readers = arg('readers', 50);
const postCount = arg('posts', 5000);
const periodMs = arg('period', 2000);
const goodArg = process.argv.indexOf('--good');
const rotating = goodArg >= 0 && process.argv[goodArg + 1] === 'rotating';

/** The faults the first three mirrors cycle through, each from its own starting point. */
const CYCLE: readonly Fault[] = ['hang', 'error500', 'slow', 'inject', 'blockpage', 'good'];

// A deterministic pseudo-random sequence (mulberry32), so runs are comparable.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyPair = generateKeyPair(new Uint8Array(32).fill(11));
const files: Record<string, string> = {};
const paths: string[] = [];
for (let n = 0; n < postCount; n++) {
  const path = `/${2010 + (n % 15)}/${String((n % 12) + 1).padStart(2, '0')}/post-${n}.html`;
  files[path] =
    `<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>post ${n}</title></head>` +
    `<body><h1>公民自由 ${n}</h1>${'<p>civil liberties 新闻 news</p>'.repeat(20 + (n % 80))}</body></html>`;
  paths.push(path);
}
files['/index.html'] = `<!doctype html><html><head><title>index</title></head><body>${paths
  .slice(0, 50)
  .map((p) => `<a href="${p}">${p}</a>`)
  .join('')}</body></html>`;
const snap = makeSignedSnapshot(files, {
  version: 1,
  keyPair,
  now: new Date(),
  expiresInMs: 86_400_000,
  mirrors: [],
  canonical: 'https://blog.example.org',
});

const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-chaos-'));
const mirrors: MirrorServer[] = [];
for (let i = 0; i < 4; i++) mirrors.push(await startMirrorServer(snap, { fault: 'good', delayMs: 1500 }));
await writeFile(
  join(dir, 'mirrors.json'),
  JSON.stringify({ mirrors: mirrors.map((m, i) => ({ id: `m${i + 1}`, kind: 'http', url: m.url, priority: i + 1 })) }),
);
await writeFile(join(dir, 'ferry.pub'), encodePublicKeyPem(keyPair.publicKey));

const port = await freePort();
const bin = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));
const edge = spawn(
  process.execPath,
  [
    bin,
    'edge',
    '--mirrors',
    join(dir, 'mirrors.json'),
    '--pubkey',
    join(dir, 'ferry.pub'),
    '--port',
    String(port),
    '--data',
    join(dir, 'edge-data'),
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
);
edge.stderr.resume(); // its mirror-state lines; not needed here
await new Promise<void>((resolve, reject) => {
  let out = '';
  edge.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('listening on')) resolve();
  });
  edge.once('exit', (code) => reject(new Error(`ferry edge exited (${code}) before listening: ${out}`)));
});
const base = `http://127.0.0.1:${port}`;

// The faults change every period; one mirror is good (the fourth, or each in turn).
let tick = 0;
const faultsSeen: Record<string, number> = {};
const setFaults = (): void => {
  const good = rotating ? (3 + tick) % 4 : 3;
  for (let i = 0; i < 4; i++) {
    const fault = i === good ? 'good' : (CYCLE[(tick + i * 2) % CYCLE.length] ?? 'good');
    mirrors[i]?.setFault(fault);
    faultsSeen[fault] = (faultsSeen[fault] ?? 0) + 1;
  }
  tick += 1;
};
setFaults();
const changer = setInterval(setFaults, periodMs);

const latencies: number[] = [];
let requests = 0;
let mismatches = 0;
const errorsByStatus: Record<string, number> = {};
const endAt = performance.now() + seconds * 1000;

async function reader(seed: number): Promise<void> {
  const next = random(seed);
  while (performance.now() < endAt) {
    const path = paths[Math.floor(next() * paths.length)] ?? '/index.html';
    const t0 = performance.now();
    let status: string;
    let body: Uint8Array | undefined;
    try {
      const res = await fetch(base + path, { headers: { 'accept-encoding': 'identity' }, signal: AbortSignal.timeout(20_000) });
      body = new Uint8Array(await res.arrayBuffer());
      status = String(res.status);
    } catch (e) {
      status = e instanceof Error ? e.name : 'error';
    }
    latencies.push(performance.now() - t0);
    requests += 1;
    if (status !== '200') errorsByStatus[status] = (errorsByStatus[status] ?? 0) + 1;
    else if (!equal(body, snap.get(path))) mismatches += 1;
  }
}

try {
  await Promise.all(Array.from({ length: readers }, (_, i) => reader(i + 1)));
  clearInterval(changer);
  for (const m of mirrors) m.setFault('good');
  const health: unknown = await (await fetch(`${base}/_ferry/health`)).json();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  const errors = Object.values(errorsByStatus).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'chaos',
        posts: postCount,
        readers,
        seconds,
        faultPeriodMs: periodMs,
        good: rotating ? 'rotating' : 'fixed (m4)',
        faults: faultsSeen,
        requests,
        errors,
        errorsByStatus,
        mismatches,
        p50ms: at(0.5),
        p99ms: at(0.99),
        maxMs: round(sorted[sorted.length - 1] ?? NaN),
        mirrorsAtEnd: mirrorsOf(health),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  clearInterval(changer);
  edge.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    if (edge.exitCode !== null) resolve();
    else edge.once('exit', () => resolve());
  });
  await Promise.all(mirrors.map((m) => m.close()));
  await rm(dir, { recursive: true, force: true });
}

function equal(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function mirrorsOf(health: unknown): { id: string; state: string }[] {
  if (typeof health !== 'object' || health === null || !('mirrors' in health) || !Array.isArray(health.mirrors)) return [];
  return health.mirrors.flatMap((m: unknown) =>
    typeof m === 'object' && m !== null && 'id' in m && 'state' in m && typeof m.id === 'string' && typeof m.state === 'string'
      ? [{ id: m.id, state: m.state }]
      : [],
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const p = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(p));
    });
  });
}
