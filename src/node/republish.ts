// One republish run: build (ingest, sanitize, guard, render, sign, swap in locally), then, side by
// side, import into the embedded IPFS block store and publish to every target. One failing target
// does not stop the others; a failed build changes nothing readers see. Every run is recorded.
import { randomBytes } from 'node:crypto';
import type { PublishTarget } from '../ports/publisher.ts';
import type { IpfsResult, RunRecord, RunStore, TargetResult } from '../ports/runs.ts';
import type { BlockStore } from '../ports/ipfs.ts';
import { newRunId } from '../adapters/node/file-run-store.ts';
import { announceSnapshot, openSnapshotFiles } from '../adapters/node/snapshot-source.ts';
import { importSnapshotIncremental } from '../adapters/ipfs/unixfs-import.ts';
import type { ImportCache } from '../adapters/ipfs/import-cache.ts';
import { toCar, walkDag } from '../adapters/ipfs/car.ts';
import { PointerGuardError, type GuardReport, type PointerGuard } from '../adapters/ipfs/pointer-guard.ts';
import type { CID } from 'multiformats/cid';
import type { BuildReport, Stage } from './build-pipeline.ts';
import { runBuildIsolated, type BuildJob, type BuildRunner } from './build-worker.ts';

export type RepublishStage = Stage | 'ipfs' | 'publish';

export interface RepublishOptions {
  build: Omit<BuildJob, 'ipfsCid'>;
  /** Heap budget of the build's worker thread, MB (when no buildRunner is given). */
  buildMemoryMb?: number;
  /** Runs the build in a worker thread kept between runs; default: a thread of its own. */
  buildRunner?: BuildRunner;
  targets: readonly PublishTarget[];
  runs: RunStore;
  /** The embedded IPFS block store; undefined to skip the import. */
  ipfs?: BlockStore;
  /** What the last import built, so only changed files and folders are imported again. */
  ipfsCache?: ImportCache;
  /** Pins the new root, verifies it through gateways, then moves the pointers. */
  ipfsGuard?: PointerGuard;
  trigger: RunRecord['trigger'];
  /** The whole run's deadline. */
  deadlineMs: number;
  attempt?: number;
  now?: () => Date;
  onProgress?: (stage: RepublishStage, message: string, target?: string) => void;
}

export interface RepublishResult {
  run: RunRecord;
  build?: BuildReport;
  /** False when trying again cannot help (a missing source folder, bad config or key): no retry. */
  retryable?: false;
}

/**
 * Build failures that the same inputs will repeat: the configuration, the key, or a local source
 * that is not there or not readable. A remote source's failure may pass; these need a person.
 */
export function isLastingBuildError(e: Error): boolean {
  if (e.name === 'ConfigError' || e.name === 'KeyError') return true;
  return e.name === 'SourceError' && !/^https?:\/\//i.test(e.message) && /: (no such file or folder|permission denied)$/.test(e.message);
}

export async function republish(opts: RepublishOptions): Promise<RepublishResult> {
  const now = opts.now ?? (() => new Date());
  const progress = opts.onProgress ?? (() => undefined);
  const started = now();
  const lastCid = (await opts.runs.list(20)).find((r) => r.cid !== undefined)?.cid;
  const run: RunRecord = {
    id: newRunId(started, randomBytes(3).toString('hex')),
    trigger: opts.trigger,
    started: started.toISOString(),
    outcome: 'running',
    attempt: opts.attempt ?? 1,
    targets: [],
  };
  await opts.runs.put(run);
  const signal = AbortSignal.timeout(opts.deadlineMs);
  const finish = async (patch: Partial<RunRecord>): Promise<RunRecord> => {
    Object.assign(run, patch, { ended: now().toISOString() });
    await opts.runs.put(run);
    return run;
  };

  // The build runs until the new version is swapped in; then copying it to IPFS and the targets
  // starts while the build records what it published in the state store.
  let committed: (version: number) => void = () => undefined;
  const swappedIn = new Promise<number>((resolve) => {
    committed = resolve;
  });
  const job = { ...opts.build, ...(lastCid === undefined ? {} : { ipfsCid: lastCid }) };
  const isolated = {
    signal,
    onProgress: (stage: Stage, message: string) => progress(stage, message),
    onCommitted: (v: number) => committed(v),
  };
  const building =
    opts.buildRunner !== undefined
      ? opts.buildRunner.run(job, isolated)
      : runBuildIsolated(job, { ...isolated, ...(opts.buildMemoryMb === undefined ? {} : { memoryMb: opts.buildMemoryMb }) });
  const built = await Promise.race([building.then(() => undefined), swappedIn]).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (built !== undefined) {
    const failed = await finish({ outcome: 'failed', error: `build: ${built.message}` });
    return isLastingBuildError(built) ? { run: failed, retryable: false } : { run: failed };
  }
  const version = await Promise.race([swappedIn, building.then((report) => report.version)]);
  run.version = version;

  let copyError: Error | undefined;
  try {
    // Lazily: the manifest's digests now, a file's bytes only when a block or an upload needs them.
    const files = await openSnapshotFiles(opts.build.out);
    const { ipfs } = opts;
    // The IPFS import and the targets do not wait for each other (targets go one after another).
    const importing = async (): Promise<void> => {
      if (ipfs === undefined) return;
      progress('ipfs', `importing ${files.entries.size} files into the IPFS block store`);
      const summary = await importSnapshotIncremental(files, ipfs, opts.ipfsCache === undefined ? {} : { cache: opts.ipfsCache });
      run.cid = summary.root.toString();
      progress('ipfs', `root ${run.cid}: ${summary.newBlocks} new of ${summary.blocks} blocks`);
      if (opts.ipfsGuard !== undefined) run.ipfs = await pinAndPoint(opts.ipfsGuard, summary.root, ipfs, version, signal, progress);
    };
    const publishing = async (): Promise<void> => {
      const announced = announceSnapshot(files);
      for (const target of opts.targets) {
        const result: TargetResult = { id: target.id, kind: target.kind, outcome: 'ok' };
        progress('publish', `publishing to ${target.id} (${target.kind})`, target.id);
        try {
          signal.throwIfAborted();
          const r = await target.publish(announced, { signal, onProgress: (m) => progress('publish', m, target.id) });
          Object.assign(result, r);
          progress('publish', `${target.id}: ${r.uploaded} uploaded, ${r.deleted} deleted, ${r.unchanged} unchanged`, target.id);
        } catch (e) {
          result.outcome = 'failed';
          result.error = (e as Error).message;
          progress('publish', `${target.id} FAILED: ${result.error}`, target.id);
        }
        run.targets.push(result);
        await opts.runs.put(run);
      }
    };
    const [imported, published] = await Promise.allSettled([importing(), publishing()]);
    for (const outcome of [imported, published])
      if (outcome.status === 'rejected' && copyError === undefined) copyError = outcome.reason as Error;
  } catch (e) {
    copyError = e as Error;
  }
  // The build's end: what it published is recorded (or recording it failed: the next run
  // builds again from the last record).
  let build: BuildReport;
  try {
    build = await building;
  } catch (e) {
    const failed = await finish({ outcome: 'failed', error: `build: ${(e as Error).message}` });
    return isLastingBuildError(e as Error) ? { run: failed, retryable: false } : { run: failed };
  }
  Object.assign(run, { version: build.version, posts: build.posts, quarantined: build.quarantined.length });
  if (copyError !== undefined) return { run: await finish({ outcome: 'failed', error: copyError.message }), build };
  const failed = run.targets.filter((t) => t.outcome === 'failed').length + (run.ipfs?.outcome === 'failed' ? 1 : 0);
  return { run: await finish({ outcome: failed === 0 ? 'ok' : 'partial' }), build };
}

/** Pin the root, verify it through the gateways, then move the pointers (the guard's order). */
async function pinAndPoint(
  guard: PointerGuard,
  root: CID,
  blocks: BlockStore,
  version: number,
  signal: AbortSignal,
  progress: (stage: RepublishStage, message: string) => void,
): Promise<IpfsResult> {
  const summarize = (report: GuardReport, error?: string): IpfsResult => ({
    outcome: error === undefined && report.pointers.every((p) => p.ok) ? 'ok' : 'failed',
    pinned: report.pins.map((p) => p.pinner),
    verifiedBy: report.gateways.filter((g) => g.ok).map((g) => g.gateway),
    pointers: report.pointers.map((p) => ({ pointer: p.pointer, ok: p.ok, ...(p.error === undefined ? {} : { error: p.error }) })),
    ...(error === undefined ? {} : { error }),
  });
  progress('ipfs', `pinning ${root.toString()}, verifying it through the gateways, then moving the pointers`);
  try {
    const report = await guard.publish({
      root,
      car: () => toCar([root], walkDag(root, blocks)),
      name: `ferry snapshot v${version}`,
      signal,
    });
    const result = summarize(report);
    progress(
      'ipfs',
      `pointers: ${report.pointers.map((p) => `${p.pointer} ${p.ok ? 'moved' : `NOT moved (${p.error ?? ''})`}`).join(', ') || 'none'}`,
    );
    return result;
  } catch (e) {
    if (e instanceof PointerGuardError) {
      progress('ipfs', e.message);
      return summarize(e.report, e.message);
    }
    const message = (e as Error).message;
    progress('ipfs', `IPFS publishing failed: ${message}`);
    return { outcome: 'failed', pinned: [], verifiedBy: [], pointers: [], error: message };
  }
}
