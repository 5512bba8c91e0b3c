// Wires a republish run from configuration (used by `ferry publish` and the scheduler in
// `ferry serve`): the key, the targets, the embedded IPFS store, the run records, a lock so runs
// never overlap across processes, and bounded retries with backoff.
import { join } from 'node:path';
import { dirname } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import cron from 'node-cron';
import type { LoadedConfig } from './load-config.ts';
import { loadPublicMirrors } from './load-config.ts';
import { ensureKeyPair, readPrivateKey } from './keys.ts';
import { createTargets } from './targets.ts';
import { createIpfsGuard } from './ipfs-services.ts';
import { republish, type RepublishResult, type RepublishStage } from './republish.ts';
import { createBuildRunner } from './build-worker.ts';
import { createFileRunStore } from '../adapters/node/file-run-store.ts';
import { acquireLock } from '../adapters/node/process-lock.ts';
import { blockstoreDir, createFsBlockstore } from '../adapters/ipfs/fs-blockstore.ts';
import { createFileImportCache, importCacheFile } from '../adapters/ipfs/import-cache.ts';
import type { RunRecord, RunStore } from '../ports/runs.ts';
import type { BlockStore } from '../ports/ipfs.ts';
import type { MirrorRef } from '../core/model.ts';
import { ConfigError } from '../core/config.ts';

export interface Republisher {
  runs: RunStore;
  ipfs?: BlockStore;
  /** One run, with retries for a failed one; throws LockedError if another run holds the lock. */
  run(trigger: RunRecord['trigger']): Promise<RepublishResult>;
  /** Settles when the last run's clean-up (removing old snapshot versions) is done. */
  settled(): Promise<void>;
  /** Stop the build thread kept between runs (after the last run's cleanup, bounded). */
  close(): Promise<void>;
}

export interface RepublisherOptions {
  config: LoadedConfig;
  /** The signing key; default: the data folder's own (created on first use). */
  keyFile?: string;
  env: Readonly<Record<string, string | undefined>>;
  onProgress?: (stage: RepublishStage, message: string, target?: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * What the health checker chose, asked before every run: the canonical address and the public
   * mirror list to sign (rotation). Undefined, or undefined fields, keep the configured ones.
   */
  choice?: () => Promise<{ canonical?: string | undefined; mirrors?: MirrorRef[] } | undefined>;
  /** After each run that swapped in a new snapshot (e.g. so the local edge reads it now). */
  onPublished?: (run: RunRecord) => void;
}

export async function createRepublisher(opts: RepublisherOptions): Promise<Republisher> {
  const { config } = opts;
  const keyFile = opts.keyFile ?? (await ensureKeyPair(join(config.data, 'keys'))).keyFile;
  const privateKey = await readPrivateKey(keyFile);
  const mirrors = await loadPublicMirrors(config.mirrors);
  const targets = createTargets(config.targets, {
    baseDir: config.file === undefined ? process.cwd() : dirname(config.file),
    dataDir: config.data,
    env: opts.env,
  });
  const runs = createFileRunStore(join(config.data, 'runs'));
  // A damaged block is dropped by the store; forgetting the import cache then makes the next
  // import check (and rewrite) every block instead of trusting unchanged folders.
  const ipfs = config.ipfs.embedded
    ? createFsBlockstore({
        dir: blockstoreDir(config.data),
        onCorrupt: () => void rm(importCacheFile(config.data), { force: true }).catch(() => undefined),
      })
    : undefined;
  const ipfsCache = createFileImportCache({ file: importCacheFile(config.data) });
  const ipfsGuard = createIpfsGuard(config.ipfs, { ...opts.env });
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const buildRunner = createBuildRunner({ memoryMb: config.buildMemoryMb });
  let cleaning: Promise<void> = Promise.resolve();
  let swept = false;
  await mkdir(config.data, { recursive: true });
  await runs.recover(new Date());

  return {
    runs,
    ...(ipfs === undefined ? {} : { ipfs }),
    settled: () => cleaning,
    close: () => buildRunner.close(),
    async run(trigger) {
      const lock = await acquireLock(join(config.data, 'publish.lock'), 'a republish run');
      try {
        // Once per process, under the lock: what a crashed import left in the block store.
        if (ipfs !== undefined && !swept) {
          swept = true;
          const removed = await ipfs.sweep();
          if (removed > 0) opts.onProgress?.('ipfs', `removed ${removed} temporary files an interrupted import left`);
        }
        const chosen = await opts.choice?.();
        const canonical = chosen?.canonical ?? config.canonical;
        let result: RepublishResult | undefined;
        for (let attempt = 1; attempt <= config.publish.retries + 1; attempt++) {
          result = await republish({
            build: {
              source: config.source,
              out: config.out,
              dataDir: config.data,
              privateKey,
              mirrors: chosen?.mirrors ?? mirrors,
              ...(canonical === undefined ? {} : { canonical }),
              blockedHosts: config.blockedHosts,
              mediaHosts: config.mediaHosts,
              expiresDays: config.expiresDays,
              fullReadHours: config.ingest.fullReadHours,
            },
            buildRunner,
            targets,
            runs,
            ...(ipfs === undefined ? {} : { ipfs, ipfsCache }),
            ...(ipfsGuard === undefined ? {} : { ipfsGuard }),
            trigger,
            attempt,
            deadlineMs: config.publish.deadlineMinutes * 60_000,
            ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          });
          if (result.run.outcome !== 'failed' || attempt > config.publish.retries) break;
          if (result.retryable === false) {
            opts.onProgress?.('ingest', `run failed (${result.run.error ?? 'unknown'}); not retried: the same inputs fail the same way`);
            break;
          }
          const wait = config.publish.backoffSeconds * 1000 * 2 ** (attempt - 1);
          opts.onProgress?.('ingest', `run failed (${result.run.error ?? 'unknown'}); retrying in ${Math.round(wait / 1000)} s`);
          await sleep(wait);
        }
        if (result === undefined) throw new Error('no republish attempt ran');
        if (result.run.version !== undefined && result.run.outcome !== 'failed') opts.onPublished?.(result.run);
        return result;
      } finally {
        await lock.release();
        // Old snapshot versions are removed now that the run is done, without holding up the
        // caller (the next build waits for it; only versions no build reads from are removed).
        cleaning = buildRunner.cleanUp();
      }
    },
  };
}

export interface ScheduledJob {
  stop(): Promise<void>;
}

/** The republish job on its cron schedule; a run still going when the next is due is skipped. */
export function scheduleRepublish(expression: string, republisher: Republisher, log: (line: string) => void): ScheduledJob {
  if (!cron.validate(expression)) {
    throw new ConfigError(`schedule.republish: "${expression}" is not a valid cron expression (e.g. "*/30 * * * *")`);
  }
  const task = cron.schedule(
    expression,
    async () => {
      try {
        const { run } = await republisher.run('schedule');
        log(
          `republish ${run.id}: ${run.outcome}${run.version === undefined ? '' : ` (version ${run.version})`}${run.error ? `: ${run.error}` : ''}`,
        );
      } catch (e) {
        log(`republish skipped: ${(e as Error).message}`);
      }
    },
    { name: 'republish', noOverlap: true },
  );
  return {
    stop: async () => {
      await task.stop();
      await task.destroy();
    },
  };
}
