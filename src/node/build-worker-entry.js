// Entry of the build worker thread (see build-worker.ts). Plain JavaScript so that it can load the
// TypeScript sources through tsx, as bin/ferry.js does.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serveBuildJob } = await import('./build-worker.ts');
if (parentPort !== null) await serveBuildJob(workerData, parentPort);
