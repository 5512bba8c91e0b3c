// Runs the edge-state contract against the Node adapters (memory, a folder); KV runs inside
// workerd (test/worker/edge-state.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('fs edge state', () => {
  it('reads stored exclusions from unknown: a damaged file or a wrong entry is left out, never cast', async () => {
    const at = join(dir, 'damaged');
    const store = createFsEdgeState(at);
    await store.saveExclusions({});
    writeFileSync(join(at, 'exclusions.json'), '{"a":{"reason":"r","since":"s"},"b":"old compromised mark","c":{"reason":1,"since":"s"}}');
    expect(await store.loadExclusions()).toEqual({ a: { reason: 'r', since: 's' } });
    writeFileSync(join(at, 'exclusions.json'), '{not json');
    expect(await store.loadExclusions()).toEqual({});
  });
});
