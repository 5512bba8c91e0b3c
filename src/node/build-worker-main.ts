// Entry of the build worker thread: runs the build jobs it is sent, one at a time, and reports
// back. Bundled to plain JavaScript by worker-script.ts (or loaded through tsx by
// build-worker-entry.js as a fallback). The thread stays up between jobs (modules loaded, code
// warm); everything a build holds is garbage once it reports, except what its state store
// remembers of the published posts.
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { BuildJob, FromWorker, ToWorker } from './build-worker.ts';
import { runBuild } from './build-pipeline.ts';
import { createJsonStateStore } from '../adapters/node/json-state-store.ts';
import type { StateStore } from '../ports/state.ts';

// One state store per data folder for the thread's life: it remembers the posts it has read
// (by digest), so the next build does not read and parse the whole blog again.
const stores = new Map<string, StateStore>();
// Removing old versions, left for when the caller says its run is done (or the next job comes).
let pending: Array<() => Promise<void>> = [];

async function cleanUp(port: MessagePort): Promise<void> {
  const jobs = pending;
  pending = [];
  for (const job of jobs) await job();
  port.postMessage({ type: 'idle' } satisfies FromWorker);
}

/** Worker side: run one job, report progress, send the report or the error. */
export async function serveBuildJob(job: BuildJob, port: MessagePort): Promise<void> {
  const send = (m: FromWorker): void => port.postMessage(m);
  const { nowMs, ...options } = job;
  let state = stores.get(job.dataDir);
  if (state === undefined) stores.set(job.dataDir, (state = createJsonStateStore(job.dataDir)));
  try {
    const report = await runBuild({
      ...options,
      state,
      ...(nowMs === undefined ? {} : { now: () => new Date(nowMs) }),
      onProgress: (stage, message) => send({ type: 'progress', stage, message }),
      deferCleanup: (cleanup) => pending.push(cleanup),
      onCommitted: (version) => send({ type: 'committed', version }),
    });
    send({ type: 'done', report });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', name: err.name, message: err.message });
  }
}

if (parentPort !== null) {
  const port = parentPort;
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    // In order: a job first finishes the last one's cleanup.
    if (m.type === 'job') queue = queue.then(() => cleanUp(port)).then(() => serveBuildJob(m.job, port));
    else queue = queue.then(() => cleanUp(port));
  });
}
