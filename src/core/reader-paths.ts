// Snapshot files the reader's service worker relies on (see src/sw): the worker itself and the
// page it shows for a page never read when nothing answers.
export const SERVICE_WORKER_PATH = '/sw.js';
export const OFFLINE_PATH = '/offline.html';
