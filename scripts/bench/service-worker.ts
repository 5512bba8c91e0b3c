// The reader's service worker: its size (minified and gzipped, with its crypto) and what it adds to
// a page view when the first mirror answers, in headless Chromium (Debian's /usr/bin/chromium).
// A snapshot built by `ferry build` is served by loopback mirror A (B and C listed, never needed);
// the same pages are opened in a browser with the worker (after one visit) and in one without
// service workers, alternately; each view's time is the page's navigation timing (start to the load
// event: the page, its stylesheet and icon, through the worker or not). Also: a view right after the
// browser stopped the worker (it starts again, reads its state, verifies the manifest). The added
// time is given as the difference of medians and as the median of each pair's difference (the same
// page with and without, one right after the other), which drifts less on a busy machine. Prints JSON.
//   npx tsx scripts/bench/service-worker.ts [--views 40]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { openSnapshotFiles } from '../../src/adapters/node/snapshot-source.ts';
import { bundleServiceWorker } from '../../src/node/service-worker-bundle.ts';
import { buildSnapshot } from '../../test/helpers/built-snapshot.ts';
import { launchChromium } from '../../test/helpers/chromium.ts';
import { startMirrorServer } from '../../test/helpers/fault-mirrors.ts';

const { values } = parseArgs({ options: { views: { type: 'string', default: '40' } } });
const views = Math.max(5, Number(values.views));

const code = await bundleServiceWorker();
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-sw-'));
const empty = new Map<string, Uint8Array>();
const [a, b, c] = [
  await startMirrorServer(empty, { publicHost: true }),
  await startMirrorServer(empty, { publicHost: true }),
  await startMirrorServer(empty, { publicHost: true }),
];
const withWorker = await launchChromium();
const without = await launchChromium({ serviceWorkers: 'block' });
try {
  const mirrorsFile = join(dir, 'mirrors.json');
  await writeFile(
    mirrorsFile,
    JSON.stringify({
      mirrors: [a, b, c].map((m, i) => ({ id: 'abc'[i], kind: 'http', url: m.url, priority: i + 1 })),
    }),
  );
  const built = await buildSnapshot(dir, { args: ['--mirrors', mirrorsFile] });
  const files = await openSnapshotFiles(built.out);
  const snapshot = new Map<string, Uint8Array>();
  for (const path of files.entries.keys()) snapshot.set(path, await files.read(path));
  for (const m of [a, b, c]) m.setSnapshot(snapshot);
  const swJs = snapshot.get('/sw.js') ?? new Uint8Array();
  const pages = ['', 'archive.html', 'mirrors.html', 'about.html'].map((p) => a.url + p);

  const page1 = withWorker.context.pages()[0] ?? (await withWorker.context.newPage());
  const page2 = without.context.pages()[0] ?? (await without.context.newPage());
  await page1.goto(pages[0] ?? a.url);
  await page1.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller === null) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });

  const view = async (page: Page, url: string): Promise<{ ms: number; documentMs: number; viaWorker: boolean }> => {
    const res = await page.goto(url, { waitUntil: 'load' });
    const [ms = NaN, documentMs = NaN] = await page.evaluate(() => {
      const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return nav === undefined ? [NaN, NaN] : [nav.loadEventEnd - nav.startTime, nav.responseEnd - nav.startTime];
    });
    return { ms, documentMs, viaWorker: res?.fromServiceWorker() ?? false };
  };
  // Warm both up (HTTP keep-alive, the worker's manifest in memory).
  for (const url of pages) {
    await view(page1, url);
    await view(page2, url);
  }
  const timesWith: number[] = [];
  const timesWithout: number[] = [];
  const documentWith: number[] = [];
  const documentWithout: number[] = [];
  /** Each pair's difference (the same page with and without, one right after the other): less drift on a busy machine. */
  const added: number[] = [];
  let notViaWorker = 0;
  for (let i = 0; i < views; i++) {
    const url = pages[i % pages.length] ?? a.url;
    const order = i % 2 === 0 ? [true, false] : [false, true];
    const pair: Record<string, number> = {};
    for (const worker of order) {
      const r = await view(worker ? page1 : page2, url);
      if (worker && !r.viaWorker) notViaWorker++;
      (worker ? timesWith : timesWithout).push(r.ms);
      (worker ? documentWith : documentWithout).push(r.documentMs);
      pair[String(worker)] = r.ms;
    }
    added.push((pair.true ?? NaN) - (pair.false ?? NaN));
  }
  // Cold: the browser stopped the worker (it does after ~30 s idle); the next view starts it again.
  const cdp = await withWorker.context.newCDPSession(page1);
  await cdp.send('ServiceWorker.enable');
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    await cdp.send('ServiceWorker.stopAllWorkers');
    cold.push((await view(page1, pages[i % pages.length] ?? a.url)).ms);
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 10) / 10;
    return { median: at(0.5), p90: at(0.9), min: at(0), max: at(1) };
  };
  const w = stats(timesWith);
  const wo = stats(timesWithout);
  console.log(
    JSON.stringify(
      {
        bench: 'service-worker',
        minifiedBytes: code.length,
        gzipBytes: gzipSync(code).length,
        swJsBytes: swJs.length,
        sizeTargetBytes: 30 * 1024,
        views,
        viewsNotThroughWorker: notViaWorker,
        pageViewMs: { withWorker: w, withoutWorker: wo, coldWorker: stats(cold) },
        documentMs: { withWorker: stats(documentWith), withoutWorker: stats(documentWithout) },
        addedMsMedian: Math.round((w.median - wo.median) * 10) / 10,
        addedMsP90: Math.round((w.p90 - wo.p90) * 10) / 10,
        addedMsPairedMedian: stats(added).median,
        loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
        addedTargetMs: 20,
        chromium: withWorker.context.browser()?.version() ?? 'persistent context',
      },
      null,
      2,
    ),
  );
} finally {
  await withWorker.close();
  await without.close();
  await Promise.all([a, b, c].map((m) => m.close()));
  await rm(dir, { recursive: true, force: true });
}
