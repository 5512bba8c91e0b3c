// Benchmark: cold-miss latency for every snapshot file through the edge when the first-priority
// mirror hangs, the second tampers and the third refuses connections (the fourth is good), against
// four good mirrors. Default edge settings (hedge 50..500 ms, first hedge after 100 ms). JSON out.
//   npx tsx scripts/bench/failover.ts [--files 60]
import { encodePublicKeyPem, generateKeyPair } from '../../src/core/manifest.ts';
import { startEdgeServer } from '../../src/node/edge-server.ts';
import { refusedUrl, startMirrorServer, type MirrorServer } from '../../test/helpers/fault-mirrors.ts';
import { makeSignedSnapshot } from '../../test/helpers/signed-snapshot.ts';

const i = process.argv.indexOf('--files');
const fileCount = i >= 0 ? Number(process.argv[i + 1]) : 60;

const keyPair = generateKeyPair(new Uint8Array(32).fill(9));
const files: Record<string, string | Uint8Array> = {};
for (let n = 0; n < fileCount; n++) {
  if (n % 5 === 4) {
    const img = new Uint8Array(30_000 + n * 100);
    for (let j = 0; j < img.length; j++) img[j] = (j * 31 + n) % 256;
    files[`/media/image-${n}.png`] = img;
  } else {
    files[`/2016/${String((n % 12) + 1).padStart(2, '0')}/post-${n}.html`] =
      `<!doctype html><title>post ${n}</title>${'<p>公民自由 civil liberties</p>'.repeat(100 + n * 10)}`;
  }
}
const snap = makeSignedSnapshot(files, {
  version: 1,
  keyPair,
  now: new Date(),
  expiresInMs: 86_400_000,
  mirrors: [],
  canonical: 'https://blog.example.org',
});
const paths = Object.keys(files);

interface Result {
  setup: string;
  files: number;
  errors: number;
  wrongBytes: number;
  p50ms: number;
  p95ms: number;
  worstMs: number;
  worstPath: string;
  mirrors: { id: string; state: string; lastError: string | null }[];
}

async function measure(setup: string, urls: string[]): Promise<Result> {
  const edge = await startEdgeServer({
    mirrors: urls.map((url, n) => ({ id: `m${n + 1}`, kind: 'http', url, priority: n + 1 })),
    publicKey: encodePublicKeyPem(keyPair.publicKey),
  });
  const times: { path: string; ms: number }[] = [];
  let errors = 0;
  let wrongBytes = 0;
  try {
    for (const path of paths) {
      const t0 = performance.now();
      const res = await fetch(`${edge.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      const body = new Uint8Array(await res.arrayBuffer());
      times.push({ path, ms: performance.now() - t0 });
      if (res.status !== 200) errors++;
      else if (!equal(body, snap.get(path))) wrongBytes++;
    }
    const health: unknown = await (await fetch(`${edge.url}/_ferry/health`)).json();
    const sorted = [...times].sort((a, b) => a.ms - b.ms);
    const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.ms ?? NaN);
    const worst = sorted[sorted.length - 1];
    return {
      setup,
      files: paths.length,
      errors,
      wrongBytes,
      p50ms: at(0.5),
      p95ms: at(0.95),
      worstMs: round(worst?.ms ?? NaN),
      worstPath: worst?.path ?? '',
      mirrors: mirrorsOf(health),
    };
  } finally {
    await edge.close();
  }
}

function mirrorsOf(health: unknown): Result['mirrors'] {
  if (typeof health !== 'object' || health === null || !('mirrors' in health) || !Array.isArray(health.mirrors)) return [];
  return health.mirrors.map((m: unknown) => {
    const r = typeof m === 'object' && m !== null ? m : {};
    const get = (k: string): unknown => (k in r ? (r as Record<string, unknown>)[k] : undefined);
    const lastError = get('lastError');
    return { id: String(get('id')), state: String(get('state')), lastError: typeof lastError === 'string' ? lastError : null };
  });
}

function equal(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, k) => x === b[k]);
}

const round = (x: number): number => Math.round(x * 10) / 10;

const servers: MirrorServer[] = [];
try {
  for (let n = 0; n < 4; n++) servers.push(await startMirrorServer(snap));
  const good = await measure(
    'all-good',
    servers.map((s) => s.url),
  );
  const hang = await startMirrorServer(snap, { fault: 'hang' });
  const tamper = await startMirrorServer(snap, { fault: 'tamper' });
  servers.push(hang, tamper);
  const faulty = await measure('hang, tamper, refuse, good', [hang.url, tamper.url, await refusedUrl(), servers[0]?.url ?? '']);
  const delta = round(faulty.worstMs - good.worstMs);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'failover',
        allGood: good,
        faulty,
        worstCaseDeltaMs: delta,
        target: { worstCaseDeltaMs: 150, errors: 0 },
        pass: delta <= 150 && faulty.errors === 0 && faulty.wrongBytes === 0 && good.errors === 0,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await Promise.all(servers.map((s) => s.close()));
}
