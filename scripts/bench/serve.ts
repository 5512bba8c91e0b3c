// Benchmark: a cached 20 KB page through the edge on Node (`ferry edge --workers N`, one process
// per core sharing the port, its state in a temporary --data folder) against nginx serving the
// same snapshot folder. wrk, 50 connections, runs alternating nginx / edge (A/B/A/B). Besides
// requests per second it reports CPU time per request of each server's processes (utime + stime
// from /proc, the whole process tree), which is fairer than req/s on a machine others are using.
// Prints JSON. Needs nginx and wrk on PATH (apt-get install nginx-light wrk), and Linux /proc.
//   npx tsx scripts/bench/serve.ts [--seconds 8] [--rounds 3]
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodePublicKeyPem, generateKeyPair } from '../../src/core/manifest.ts';
import { fileURLToPath } from 'node:url';
import { makeSignedSnapshot, writeSnapshotDir } from '../../test/helpers/signed-snapshot.ts';

const run = promisify(execFile);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
};

await primary();

async function primary(): Promise<void> {
  const seconds = arg('seconds', 8);
  const rounds = arg('rounds', 3);
  const workers = arg('workers', availableParallelism());
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-serve-'));
  await chmod(dir, 0o755); // nginx workers run as an unprivileged user
  const keyPair = generateKeyPair(new Uint8Array(32).fill(7));
  // A 20 KB (20480-byte) page, Chinese and English.
  let page = `<!doctype html><html lang="zh"><title>bench</title><body>${'<p>公民自由联盟 civil liberties 新闻 news.</p>\n'.repeat(400)}`;
  while (Buffer.byteLength(page) > 20 * 1024 - 15) page = page.slice(0, -1);
  page = `${page}</body></html>`.padEnd(page.length + 14 + (20 * 1024 - 14 - Buffer.byteLength(page)), ' ');
  const snap = makeSignedSnapshot(
    { '/index.html': page, '/2016/06/post.html': page },
    { version: 1, keyPair, now: new Date(), expiresInMs: 86_400_000, mirrors: [], canonical: 'https://blog.example.org' },
  );
  await writeSnapshotDir(join(dir, 'snap'), snap);
  const pageBytes = snap.get('/2016/06/post.html')?.length ?? 0;

  // nginx on the same folder, as many worker processes as cores, logging off.
  const nginxPort = await freePort();
  await writeFile(
    join(dir, 'nginx.conf'),
    `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  types { text/html html; }
  server { listen 127.0.0.1:${nginxPort}; root ${dir}/snap; }
}
`,
  );
  const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });

  // The edge as readers get it: `ferry edge --workers N` over the snapshot folder.
  const edgePort = await freePort();
  await writeFile(
    join(dir, 'mirrors.json'),
    JSON.stringify({ mirrors: [{ id: 'local', kind: 'directory', path: join(dir, 'snap'), priority: 1 }] }),
  );
  await writeFile(join(dir, 'ferry.pub'), encodePublicKeyPem(keyPair.publicKey));
  const bin = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));
  const edgeProc = spawn(
    process.execPath,
    [
      bin,
      'edge',
      '--mirrors',
      join(dir, 'mirrors.json'),
      '--pubkey',
      join(dir, 'ferry.pub'),
      '--port',
      String(edgePort),
      '--workers',
      String(workers),
      '--data',
      join(dir, 'edge-state'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    edgeProc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    edgeProc.once('exit', (code) => reject(new Error(`ferry edge exited (${code}) before listening: ${out}`)));
  });

  const path = '/2016/06/post.html';
  const edgeUrl = `http://127.0.0.1:${edgePort}${path}`;
  const nginxUrl = `http://127.0.0.1:${nginxPort}${path}`;
  try {
    const first = await fetch(edgeUrl);
    if (first.status !== 200) throw new Error(`edge answered ${first.status}: ${(await first.text()).slice(0, 500)}`);
    // Warm: every edge worker verifies and caches the page (wrk spreads over them).
    await wrk(edgeUrl, 2);
    await wrk(nginxUrl, 1);
    const pids = { nginx: nginx.pid ?? 0, edge: edgeProc.pid ?? 0 };
    const tick = await clockTickMs();
    const runs: { target: string; rps: number; p50ms: number; p99ms: number; requests: number; cpuUsPerRequest: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [target, url] of [
        ['nginx', nginxUrl],
        ['edge', edgeUrl],
      ] as const) {
        const before = await treeCpuTicks(pids[target]);
        const result = await wrk(url, seconds);
        const cpuMs = ((await treeCpuTicks(pids[target])) - before) * tick;
        runs.push({ target, ...result, cpuUsPerRequest: Math.round(((cpuMs * 1000) / Math.max(1, result.requests)) * 100) / 100 });
      }
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)] ?? NaN;
    };
    const of = (t: string) => runs.filter((x) => x.target === t);
    const summary = (t: string) => ({
      rps: median(of(t).map((x) => x.rps)),
      p50ms: median(of(t).map((x) => x.p50ms)),
      p99ms: median(of(t).map((x) => x.p99ms)),
      cpuUsPerRequest: median(of(t).map((x) => x.cpuUsPerRequest)),
    });
    const edge = summary('edge');
    const ng = summary('nginx');
    const check = await fetch(edgeUrl);
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'serve',
          page: path,
          pageBytes,
          connections: 50,
          seconds,
          rounds,
          edgeWorkers: workers,
          edgeHeadersOk: check.headers.get('etag') !== null && check.headers.get('content-security-policy') !== null,
          edge,
          nginx: ng,
          ratio: Math.round((edge.rps / ng.rps) * 100) / 100,
          // nginx's CPU time per request over the edge's: the req/s ratio with the machine's other load taken out.
          cpuRatio: Math.round((ng.cpuUsPerRequest / edge.cpuUsPerRequest) * 100) / 100,
          loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
          target: 0.6,
          runs,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    edgeProc.kill('SIGTERM');
    nginx.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    await rm(dir, { recursive: true, force: true });
  }
}

async function wrk(url: string, seconds: number): Promise<{ rps: number; p50ms: number; p99ms: number; requests: number }> {
  const { stdout } = await run('wrk', ['-t2', '-c50', `-d${seconds}s`, '--latency', url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const pct = (p: string): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    if (!m?.[1]) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses from ${url}`);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  return { rps: Math.round(rps), p50ms: pct('50'), p99ms: pct('99'), requests };
}

/** Milliseconds per clock tick, the unit of /proc/<pid>/stat's CPU times. */
async function clockTickMs(): Promise<number> {
  const { stdout } = await run('getconf', ['CLK_TCK']);
  const hz = Number(stdout.trim());
  return 1000 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
}

/** utime + stime, in clock ticks, of a process and every process below it (nginx workers, cluster workers). */
async function treeCpuTicks(root: number): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // The command name is in parentheses and may hold spaces: fields count from after it.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() ?? 0;
    total += stats.get(pid)?.ticks ?? 0;
    for (const [child, st] of stats) if (st.ppid === pid) queue.push(child);
  }
  return total;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
