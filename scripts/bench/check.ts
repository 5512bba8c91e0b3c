// Benchmark: one health-check round (the local prober, as `ferry check` runs it) over N loopback
// mirrors (default 200) with mixed faults, and print wall time, peak memory and the verdicts as
// JSON. Target on a 2-core machine: <= 10 s for 200 mirrors.
//   npx tsx scripts/bench/check.ts [--mirrors N]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { DEFAULT_HEALTH_CONFIG, toRoundPolicies } from '../../src/core/health-config.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { runCheckRound, type CheckTarget } from '../../src/health/check-round.ts';
import { createLocalProber, LOCAL_VANTAGE } from '../../src/node/local-prober.ts';
import { refusedUrl, startMirrorServer, type Fault, type MirrorServer } from '../../test/helpers/fault-mirrors.ts';
import { makeSignedSnapshot } from '../../test/helpers/signed-snapshot.ts';

const { values } = parseArgs({
  options: { mirrors: { type: 'string', default: '200' }, concurrency: { type: 'string' }, serve: { type: 'boolean' } },
});
const count = Number(values.mirrors);
if (!Number.isInteger(count) || count < 1) throw new Error('--mirrors must be a positive whole number');

// Of every 20 mirrors: 12 good, 2 slow, 2 hanging, 2 answering 500, 1 tampered, 1 refusing.
const PATTERN: Array<Fault | 'refused'> = [
  'good',
  'good',
  'slow',
  'good',
  'hang',
  'good',
  'error500',
  'good',
  'tamper',
  'good',
  'good',
  'slow',
  'good',
  'hang',
  'good',
  'error500',
  'good',
  'refused',
  'good',
  'good',
];

const keyPair = generateKeyPair(new Uint8Array(32).fill(7));
const now = new Date();
const posts = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`/2026/01/post-${i}.html`, `<!doctype html><p>post ${i} ${'text '.repeat(400)}</p>`]),
);
const snapshot = makeSignedSnapshot(
  {
    '/index.html': `<!doctype html><h1>Blog</h1>${'<p>intro</p>'.repeat(200)}`,
    '/atom.xml': '<feed/>',
    '/rss.xml': '<rss/>',
    '/feed.json': '{}',
    ...posts,
  },
  { version: 3, keyPair, now, expiresInMs: 14 * 86_400_000, mirrors: [], canonical: 'https://blog.example.org/' },
);

const faultOf = (i: number): Fault | 'refused' => PATTERN[i % PATTERN.length] ?? 'good';

if (values.serve === true) {
  // The mirrors run in a process of their own, as they would on other machines: the checker's
  // event loop and CPU are its own. Prints their URLs as one JSON line, then serves until killed.
  const servers: MirrorServer[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const fault = faultOf(i);
    if (fault === 'refused') urls.push(await refusedUrl());
    else {
      const server = await startMirrorServer(snapshot, { fault, delayMs: 1500 });
      servers.push(server);
      urls.push(server.url);
    }
  }
  console.log(JSON.stringify(urls));
  process.on('SIGTERM', () => void Promise.all(servers.map((x) => x.close())).then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', '--mirrors', String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<string[]>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const line = text.split('\n')[0];
      if (text.includes('\n') && line !== undefined) resolve(JSON.parse(line) as string[]);
    });
    child.once('exit', (code) => reject(new Error(`mirror process exited ${code}`)));
  });
  const targets: CheckTarget[] = urls.map((url, i) => ({ id: `m${i}`, url, role: 'mirror', priority: i, canonicalAllowed: true }));
  const faults: Record<string, number> = {};
  for (let i = 0; i < count; i++) faults[faultOf(i)] = (faults[faultOf(i)] ?? 0) + 1;

  // --concurrency N: probes at once instead of the default health.concurrency.
  const health =
    values.concurrency === undefined ? DEFAULT_HEALTH_CONFIG : { ...DEFAULT_HEALTH_CONFIG, concurrency: Number(values.concurrency) };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  /** When the last probe of each fault kind finished, ms after the round began. */
  const finishedAt: Record<string, number> = {};
  const outcome = await runCheckRound({
    targets,
    prober: createLocalProber({ publicKey: keyPair.publicKey, health }),
    store: createMemoryHealthStore(),
    vantage: LOCAL_VANTAGE,
    policies: toRoundPolicies(health),
    round: 1,
    concurrency: health.concurrency,
    onProbe: (r) => {
      const fault = faultOf(Number(r.target.slice(1)));
      finishedAt[fault] = Math.max(finishedAt[fault] ?? 0, Math.round(performance.now() - started));
    },
  });
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const verdicts: Record<string, number> = {};
  for (const s of outcome.states) verdicts[s.state] = (verdicts[s.state] ?? 0) + 1;
  child.kill('SIGTERM');
  console.log(
    JSON.stringify({
      bench: 'check',
      mirrors: count,
      faults,
      verdicts,
      canonical: outcome.canonical.id,
      lastProbeDoneMs: finishedAt,
      wallMs: Math.round(wallMs),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
      timeoutSeconds: health.timeoutSeconds,
      concurrency: health.concurrency,
      targetMs: 10_000,
    }),
  );
}
