// Builds run in a worker thread: the edge in the same process keeps answering readers while a
// build renders and hashes for seconds, and the build gets a memory budget of its own (V8 sizes
// its heap to the budget instead of to the machine, so a 10,000-post build peaks near 300 MB).
// Exceeding the budget fails the build cleanly: the last good snapshot stays.
import { Worker } from 'node:worker_threads';
import type { BuildOptions, BuildReport, Stage } from './build-pipeline.ts';
import { buildWorkerScript } from './worker-script.ts';

/** What crosses into the worker: plain data only (no functions, no ports). */
export type BuildJob = Omit<BuildOptions, 'now' | 'fetch' | 'state' | 'onProgress' | 'signal' | 'deferCleanup'> & {
  /** Fixed creation time (SOURCE_DATE_EPOCH), ms since 1970. */
  nowMs?: number;
};

export type FromWorker =
  | { type: 'progress'; stage: Stage; message: string }
  | { type: 'done'; report: BuildReport }
  | { type: 'error'; name: string; message: string };

export const DEFAULT_BUILD_MEMORY_MB = 512;

export class BuildWorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface IsolatedBuildOptions {
  onProgress?: (stage: Stage, message: string) => void;
  /** Aborting stops the worker; nothing readers see changes. */
  signal?: AbortSignal;
  /** The worker's heap budget (old generation), MB. */
  memoryMb?: number;
}

export async function runBuildIsolated(job: BuildJob, opts: IsolatedBuildOptions = {}): Promise<BuildReport> {
  const memoryMb = opts.memoryMb ?? DEFAULT_BUILD_MEMORY_MB;
  const script = await buildWorkerScript();
  return new Promise<BuildReport>((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const worker = new Worker(script, {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 16 },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      void worker.terminate();
      settle(() => reject(new BuildWorkerError('AbortError', `build stopped: ${String(opts.signal?.reason ?? 'cancelled')}`)));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') opts.onProgress?.(m.stage, m.message);
      else if (m.type === 'done') settle(() => resolve(m.report));
      else settle(() => reject(new BuildWorkerError(m.name, m.message)));
    });
    worker.on('error', (e: Error & { code?: string }) => {
      settle(() =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new BuildWorkerError('OutOfMemory', `the build needed more than its memory budget of ${memoryMb} MB; raise build.memoryMb in ferry.config.json`)
            : e,
        ),
      );
    });
    worker.on('exit', (code) => settle(() => reject(new BuildWorkerError('BuildWorkerError', `build worker exited with code ${code}`))));
  });
}
