// `ferry serve` (a real process) pushes its dashboard view to the Worker after every health round
// and applies Make canonical requests made on the Worker: two loopback static hosts are mirrors a
// and b, the Worker is test/helpers/fake-worker-view.ts (the Worker's own route code on loopback).
// A request to make b canonical comes back in a push's answer, is applied through ferry serve's
// dashboard (re-signed with b), acknowledged once, and the next view on the Worker says so. A
// Worker that answers 503 is logged and pushed to again next round; the rounds go on.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/core/manifest.ts';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';
import { startFakeWorkerView, type FakeWorkerView } from '../helpers/fake-worker-view.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const EVERY = 2;
const TOKEN = 'push-test-health-token-0123456789abcdef';

let dir: string;
let a: StaticHost;
let b: StaticHost;
let worker: FakeWorkerView;
let serve: ServeProcess;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-worker-push-'));
  await cp(EXAMPLES, join(dir, 'posts'), { recursive: true });
  a = await startStaticHost(join(dir, 'mirror-a'), '/');
  b = await startStaticHost(join(dir, 'mirror-b'), '/blog/');
  worker = await startFakeWorkerView(TOKEN);
  await writeFile(
    join(dir, 'mirrors.json'),
    JSON.stringify({
      mirrors: [
        { id: 'a', kind: 'http', url: a.url, priority: 1 },
        { id: 'b', kind: 'http', url: b.url, priority: 2 },
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
      health: { every: EVERY, cooldownSeconds: 3600, worker: { url: worker.url, tokenEnv: 'FERRY_HEALTH_TOKEN' } },
    }),
  );
  serve = startServe(['--config', join(dir, 'ferry.config.json'), '--port', '0'], {
    cwd: dir,
    env: { XDG_STATE_HOME: join(dir, 'state'), FERRY_HEALTH_TOKEN: TOKEN },
  });
  await serve.waitFor(/health round: .*canonical a/, 120_000);
}, 150_000);

afterAll(async () => {
  await serve?.stop();
  await Promise.all([a?.close(), b?.close(), worker?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('ferry serve pushes its view to the Worker', () => {
  it('pushes every round, applies a Make canonical request from the Worker once, and survives a Worker that is down', async () => {
    const first = await until('a pushed view', async () => (await worker.views.load())?.pushed, 20_000);
    expect(first.everySeconds).toBe(EVERY);
    expect(first.view.mirrors.map((m) => m.id).sort()).toEqual(['a', 'b']);
    expect(first.view.mirrors.find((m) => m.id === 'b')).toMatchObject({ url: b.url, state: 'healthy' });
    expect(first.view.canonical).toMatchObject({ id: 'a' });
    expect(first.view.publishes[0]).toMatchObject({ outcome: 'ok', version: expect.any(Number) as unknown });
    expect(worker.pushes.every((s) => s === 200)).toBe(true);

    // A maintainer pressed Make canonical for b on the Worker's dashboard.
    const t0 = serve.lastAt();
    await worker.requests.add({ id: 'req-1', kind: 'rotate', mirror: 'b', who: 'maintainer-abc123', at: new Date().toISOString() });
    await serve.waitFor(/Worker request from maintainer-abc123: rotate b: The canonical is now b/, EVERY * 1000 + 20_000, t0);
    await serve.waitFor(/rotation republish .*: ok/, 120_000, t0);
    const manifest = parseManifest(await readFile(join(dir, 'mirror-b', 'manifest.json'), 'utf8'));
    expect(manifest.canonical).toBe(b.url);

    // Acknowledged once: gone from the Worker, its result in the Worker's history; the Worker's view follows.
    await until('the acknowledgement', async () => ((await worker.requests.pending()).length === 0 ? true : undefined), 20_000);
    const history = (await worker.maintainer.load()).actions;
    expect(history).toEqual([
      expect.objectContaining({
        action: 'rotate b',
        result: expect.stringContaining('applied by ferry serve: The canonical is now b') as unknown,
      }),
    ]);
    await until(
      'the view with b canonical',
      async () => ((await worker.views.load())?.pushed.view.canonical?.id === 'b' ? true : undefined),
      20_000,
    );
    const onServe = JSON.parse(await readFile(join(dir, 'data', 'maintainer.json'), 'utf8')) as {
      actions: Array<{ who: string; action: string }>;
    };
    expect(onServe.actions).toContainEqual(expect.objectContaining({ who: 'maintainer-abc123 (on the Worker)', action: 'rotate b' }));

    // The Worker is down for two pushes: logged, the rounds go on, the next push lands.
    const t1 = serve.lastAt();
    worker.failNext = 2;
    await serve.waitFor(/Worker push: .*answered HTTP 503.*\(tried again next round\)/, EVERY * 1000 + 20_000, t1);
    await until(
      'a push after the outage',
      async () => (worker.failNext === 0 && worker.pushes.at(-1) === 200 ? true : undefined),
      EVERY * 4000 + 20_000,
    );
    expect(serve.lines.filter((l) => l.at > t1 && /health round: /.test(l.line)).length).toBeGreaterThanOrEqual(3);
    // Applied once: never again in any later round.
    expect(serve.lines.filter((l) => /Worker request from/.test(l.line))).toHaveLength(1);
  }, 200_000);
});
