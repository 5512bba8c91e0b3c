import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { generateKeyPair } from './src/core/manifest.ts';
import { toBase64 } from './src/core/bytes.ts';
import { holdBackWorkerdNoise, missingSourceMaps } from './test/helpers/runtime-noise.ts';

// wrangler/miniflare run here: no telemetry, no network look-ups.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
// workerd's logs of the connections the Worker tests refuse on purpose, counted instead of shown.
holdBackWorkerdNoise();

/** The key test/worker signs with (testKeyPair(1) in test/helpers/signed-snapshot.ts). */
const workerTestPublicKey = toBase64(generateKeyPair(new Uint8Array(32).fill(1)).publicKey);

/**
 * Files that start browsers, workerd, wrangler, many child processes or CPU-bound IPFS imports.
 * They run in a group of their own (sequence.groupOrder), at most two at a time whatever the
 * machine, so on a machine with many cores they are not starved into their timeouts by each other
 * (four at once were). They go after the others (measured here: 303 s in all, against 320 s with
 * them first).
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
const HEAVY_WORKERS = 2;
/**
 * The other files mostly wait on servers, timers and child processes: one more worker than cores
 * keeps a 2-core machine busy (vitest's default, cores - 1, ran them one at a time there).
 */
const LIGHT_WORKERS = availableParallelism() + 1;

/**
 * Contract files that start a runtime of their own (workerd and Miniflare's proxy through
 * wrangler's getPlatformProxy), which keeps process state: each in a process of its own. (Once, in
 * a full run, every KV write of that file's proxy failed with workerd's "false == true"; it did
 * not happen again alone, under load or beside `wrangler types`.)
 */
const OWN_PROCESS = ['test/contract/kv-binding-publisher.test.ts'];

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
        // Unit and contract files share their workers' loaded modules (isolate: false): they keep
        // no module state between files, and a fresh process per file cost more than their tests
        // (about 60 s of CPU, against 30 s shared). Not the files that start a runtime of their own
        // (OWN_PROCESS).
        test: {
          ...nodeProject,
          name: 'unit',
          maxWorkers: LIGHT_WORKERS,
          isolate: false,
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
          exclude: OWN_PROCESS,
        },
      },
      {
        test: {
          ...nodeProject,
          name: 'node',
          maxWorkers: LIGHT_WORKERS,
          include: ['test/integration/**/*.test.ts', ...OWN_PROCESS],
          exclude: HEAVY,
        },
      },
      {
        test: {
          ...nodeProject,
          name: 'node-heavy',
          include: HEAVY,
          maxWorkers: HEAVY_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
      {
        plugins: [
          missingSourceMaps(),
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
          maxWorkers: LIGHT_WORKERS,
          include: ['test/worker/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
