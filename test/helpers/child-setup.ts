// Vitest setup file: ends every child process a test started with the test, and those a hook
// started with the file (test/helpers/child-process.ts).
import { afterAll, afterEach } from 'vitest';
import { endChildren } from './child-process.ts';

afterEach(async () => {
  await endChildren('test');
});
afterAll(async () => {
  await endChildren('file');
});
