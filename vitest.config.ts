import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { generateKeyPair } from './src/core/manifest.ts';
import { toBase64 } from './src/core/bytes.ts';

// wrangler/miniflare run here: no telemetry, no network look-ups.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

/** The key test/worker signs with (testKeyPair(1) in test/helpers/signed-snapshot.ts). */
const workerTestPublicKey = toBase64(generateKeyPair(new Uint8Array(32).fill(1)).publicKey);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
