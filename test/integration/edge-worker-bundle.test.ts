// `npx wrangler deploy --dry-run` bundles the Worker (no account, no network), and the bundle
// carries none of the Node-only adapters.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runChildOk } from '../helpers/child-process.ts';

it('wrangler deploy --dry-run bundles src/worker/index.ts', async () => {
  const outdir = await mkdtemp(join(tmpdir(), 'ferry-worker-'));
  try {
    await runChildOk('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' },
      timeoutMs: 110_000,
    });
    const files = await readdir(outdir);
    expect(files).toContain('index.js');
    const bundle = await readFile(join(outdir, 'index.js'), 'utf8');
    expect(bundle).toContain('Ferry edge is misconfigured');
    expect(bundle).not.toMatch(/from ["']node:/);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}, 120_000);
