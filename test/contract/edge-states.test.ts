// Runs the edge-state contract against the Node adapters (memory, a folder); KV runs inside
// workerd (test/worker/edge-state.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createFsEdgeState } from '../../src/adapters/edge-state/fs-edge-state.ts';
import { createMemoryEdgeState } from '../../src/adapters/edge-state/memory-edge-state.ts';
import { edgeStateContract } from './edge-state.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let last = '';

edgeStateContract('memory', { open: () => createMemoryEdgeState() });
edgeStateContract('fs', {
  open: () => createFsEdgeState((last = join(dir, `s${n++}`))),
  reopen: () => createFsEdgeState(last),
});
