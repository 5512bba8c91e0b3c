// Builds run in a worker thread: the edge in the same process keeps answering readers while a
// build renders and hashes, and the build gets a memory budget of its own (V8 sizes its heap to
// the budget instead of to the machine, so a 10,000-post build peaks near 300 MB). Exceeding the
// budget fails the build cleanly: the last good snapshot stays.
import { Worker } from 'node:worker_threads';
import type { BuildOptions, BuildReport, Stage } from './build-pipeline.ts';
import { buildWorkerScript } from './worker-script.ts';

/** What crosses into the worker: plain data only (no functions, no ports). */
export type BuildJob = Omit<BuildOptions, 'now' | 'fetch' | 'state' | 'onProgress' | 'signal' | 'deferCleanup' | 'onCommitted'> & {
  /** Fixed creation time (SOURCE_DATE_EPOCH), ms since 1970. */
  nowMs?: number;
};

export type FromWorker =
  | { type: 'progress'; stage: Stage; message: string }
  | { type: 'committed'; version: number }
  | { type: 'done'; report: BuildReport }
  | { type: 'error'; name: string; message: string }
  /** The cleanup the last job left (removing old versions) is done. */
  | { type: 'idle' };

export type ToWorker = { type: 'job'; job: BuildJob } | { type: 'cleanup' };

export const DEFAULT_BUILD_MEMORY_MB = 512;

export class BuildWorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface IsolatedBuildOptions {
  onProgress?: (stage: Stage, message: string) => void;
  /** The new version is swapped in (see BuildOptions.onCommitted). */
  onCommitted?: (version: number) => void;
  /** Aborting stops the worker; nothing readers see changes. */
  signal?: AbortSignal;
}

/**
 * Runs builds in one worker thread kept between builds (a republisher builds every few minutes:
 * starting a thread and loading its modules each time costs about 0.2 s). A build that fails
 * cleanly leaves the thread for the next one; a thread that dies, runs out of its memory budget
 * or is stopped by an abort is replaced on the next build. An idle thread never keeps the
 * process alive.
 */
export interface BuildRunner {
  run(job: BuildJob, opts?: IsolatedBuildOptions): Promise<BuildReport>;
  /**
   * Remove the old versions the last build left (call it when the run that built them is done;
   * the next build does it first otherwise). Settles when they are gone.
   */
  cleanUp(): Promise<void>;
  /** Stop the thread (a build in progress is abandoned: nothing readers see changes). */
  close(): Promise<void>;
}

export function createBuildRunner({ memoryMb = DEFAULT_BUILD_MEMORY_MB }: { memoryMb?: number } = {}): BuildRunner {
  let worker: Worker | undefined;
  let busy = false;
  /** Ask the thread to clean up; settles when it says it is idle (or is gone). */
  const cleanUp = (w: Worker): Promise<void> =>
    new Promise<void>((resolve) => {
      const onIdle = (m: FromWorker): void => {
        if (m.type === 'idle') done();
      };
      const done = (): void => {
        w.off('message', onIdle).off('exit', done);
        resolve();
      };
      w.on('message', onIdle).once('exit', done);
      w.postMessage({ type: 'cleanup' } satisfies ToWorker);
    });
  const discard = (w: Worker): void => {
    if (worker === w) worker = undefined;
    void w.terminate();
  };
  return {
    async run(job, opts = {}) {
      if (busy) throw new BuildWorkerError('BuildWorkerError', 'a build is already running in this runner');
      opts.signal?.throwIfAborted();
      busy = true;
      try {
        const script = await buildWorkerScript();
        const w = (worker ??= new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 16 } }));
        w.ref();
        return await new Promise<BuildReport>((resolve, reject) => {
          let settled = false;
          const settle = (fn: () => void, keep: boolean): void => {
            if (settled) return;
            settled = true;
            opts.signal?.removeEventListener('abort', onAbort);
            w.off('message', onMessage).off('error', onError).off('exit', onExit);
            if (keep) w.unref();
            else discard(w);
            fn();
          };
          const onAbort = (): void =>
            settle(() => reject(new BuildWorkerError('AbortError', `build stopped: ${String(opts.signal?.reason ?? 'cancelled')}`)), false);
          const onMessage = (m: FromWorker): void => {
            if (m.type === 'progress') opts.onProgress?.(m.stage, m.message);
            else if (m.type === 'committed') opts.onCommitted?.(m.version);
            else if (m.type === 'done') settle(() => resolve(m.report), true);
            else if (m.type === 'error') settle(() => reject(new BuildWorkerError(m.name, m.message)), true);
          };
          const onError = (e: Error & { code?: string }): void =>
            settle(
              () =>
                reject(
                  e.code === 'ERR_WORKER_OUT_OF_MEMORY'
                    ? new BuildWorkerError(
                        'OutOfMemory',
                        `the build needed more than its memory budget of ${memoryMb} MB; raise build.memoryMb in ferry.config.json`,
                      )
                    : e,
                ),
              false,
            );
          const onExit = (code: number): void =>
            settle(() => reject(new BuildWorkerError('BuildWorkerError', `build worker exited with code ${code}`)), false);
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          w.on('message', onMessage).on('error', onError).on('exit', onExit);
          w.postMessage({ type: 'job', job } satisfies ToWorker);
        });
      } finally {
        busy = false;
      }
    },
    async cleanUp() {
      const w = worker;
      if (w === undefined || busy) return;
      // Referenced meanwhile: an unreferenced thread would let the process end mid-cleanup.
      w.ref();
      await cleanUp(w);
      if (!busy) w.unref();
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w === undefined) return;
      // Let the last job's old versions be removed (bounded), then stop the thread.
      w.ref();
      await Promise.race([cleanUp(w), new Promise((r) => setTimeout(r, 30_000).unref())]);
      await w.terminate();
    },
  };
}

/** One build in a worker thread of its own, stopped afterwards. */
export async function runBuildIsolated(job: BuildJob, opts: IsolatedBuildOptions & { memoryMb?: number } = {}): Promise<BuildReport> {
  const runner = createBuildRunner(opts.memoryMb === undefined ? {} : { memoryMb: opts.memoryMb });
  try {
    return await runner.run(job, opts);
  } finally {
    await runner.close();
  }
}
