import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { generateKeyPair } from './src/core/manifest.ts';
import { toBase64 } from './src/core/bytes.ts';

// wrangler/miniflare run here: no telemetry, no network look-ups.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

/** The key test/worker signs with (testKeyPair(1) in test/helpers/signed-snapshot.ts). */
const workerTestPublicKey = toBase64(generateKeyPair(new Uint8Array(32).fill(1)).publicKey);

/**
 * Files that start browsers, workerd, wrangler, many child processes or CPU-bound IPFS imports.
 * Vitest runs a project without file parallelism after the parallel files, one file at a time,
 * so on a machine with more workers these are not starved into their timeouts by each other.
 */
const HEAVY = [
  'test/integration/crash-safety.test.ts',
  'test/integration/dashboard-chromium.test.ts',
  'test/integration/edge-worker-bundle.test.ts',
  'test/integration/ipfs-gateway.test.ts',
  'test/integration/ipfs-import.test.ts',
  'test/integration/ipfs-incremental.test.ts',
  'test/integration/pages-chromium.test.ts',
  'test/integration/service-worker-chromium.test.ts',
  'test/integration/snapshot-links-chromium.test.ts',
  'test/integration/wrangler-dev.test.ts',
];

/** What both Node projects share: children ended with their test, the system-package summary. */
const nodeProject = {
  environment: 'node' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  setupFiles: ['./test/helpers/child-setup.ts'],
  globalSetup: ['./test/helpers/system-deps-setup.ts'],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...nodeProject,
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/integration/**/*.test.ts'],
          exclude: HEAVY,
        },
      },
      {
        test: {
          ...nodeProject,
          name: 'node-serial',
          include: HEAVY,
          fileParallelism: false,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                FERRY_PUBLIC_KEY: workerTestPublicKey,
                FERRY_MIRRORS: JSON.stringify({ mirrors: [{ id: 'kv', kind: 'kv', prefix: 'snapshot', priority: 1 }] }),
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
