// Entry of the build worker thread: runs one build job and reports back. Bundled to plain
// JavaScript by worker-script.ts (or loaded through tsx by build-worker-entry.js as a fallback).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { BuildJob, FromWorker } from './build-worker.ts';
import { runBuild } from './build-pipeline.ts';

/** Worker side: run the job, report progress, send the report or the error. */
export async function serveBuildJob(job: BuildJob, port: MessagePort): Promise<void> {
  const send = (m: FromWorker): void => port.postMessage(m);
  const { nowMs, ...options } = job;
  const cleanup: Array<Promise<void>> = [];
  try {
    const report = await runBuild({
      ...options,
      ...(nowMs === undefined ? {} : { now: () => new Date(nowMs) }),
      onProgress: (stage, message) => send({ type: 'progress', stage, message }),
      deferCleanup: (done) => cleanup.push(done),
    });
    send({ type: 'done', report });
    // The caller goes on; the thread ends once the old versions are removed.
    await Promise.all(cleanup);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', name: err.name, message: err.message });
  }
}

if (parentPort !== null) await serveBuildJob(workerData as BuildJob, parentPort);
