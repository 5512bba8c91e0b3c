// Entry of the build worker thread: runs the build jobs it is sent, one at a time, and reports
// back. Bundled to plain JavaScript by worker-script.ts (or loaded through tsx by
// build-worker-entry.js as a fallback). The thread stays up between jobs (modules loaded, code
// warm); everything a build holds is garbage once it reports.
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { BuildJob, FromWorker, ToWorker } from './build-worker.ts';
import { runBuild } from './build-pipeline.ts';

/** Worker side: run one job, report progress, send the report or the error. */
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
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', name: err.name, message: err.message });
  }
  // The caller goes on; the next job starts once the old versions are removed.
  await Promise.all(cleanup);
  send({ type: 'idle' });
}

if (parentPort !== null) {
  const port = parentPort;
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    if (m.type === 'job') queue = queue.then(() => serveBuildJob(m.job, port));
  });
}
