// Writes src/worker/worker-runtime.d.ts, the Workers runtime types tsconfig.worker.json checks the
// Worker against, with the pinned wrangler's `wrangler types --include-env=false` (generated, never
// committed). Offline: wrangler reads the types from a local workerd on loopback; telemetry and the
// update check (which asks the npm registry) are turned off.
//   npx tsx scripts/worker-types.ts [--if-missing]
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = 'src/worker/worker-runtime.d.ts';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

if (process.argv.includes('--if-missing') && (await exists(`${root}${out}`))) process.exit(0);

const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
await new Promise<void>((resolve, reject) => {
  execFile(
    process.execPath,
    [wrangler, 'types', '--include-env=false', out],
    {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
    (error, _stdout, stderr) => (error === null ? resolve() : reject(new Error(`wrangler types failed: ${error.message}\n${stderr}`))),
  );
});
