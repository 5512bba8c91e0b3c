// Runs the edge state contract against the Node adapters (memory, files); KV runs it in workerd.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsEdgeState } from '../../src/adapters/edge-state/fs-edge-state.ts';
import { createMemoryEdgeState } from '../../src/adapters/edge-state/memory-edge-state.ts';
import { edgeStateContract } from './edge-state.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'ferry-edge-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let last = '';

edgeStateContract('memory', { open: () => createMemoryEdgeState() });
edgeStateContract('files', {
  open: () => createFsEdgeState((last = join(root, `s${n++}`))),
  reopen: () => createFsEdgeState(last),
});

describe('file edge state', () => {
  it('reads stored exclusions from unknown: a damaged file or a wrong entry is left out, never cast', async () => {
    const dir = join(root, 'damaged');
    const store = createFsEdgeState(dir);
    await store.saveExclusions({});
    writeFileSync(join(dir, 'exclusions.json'), '{"a":{"reason":"r","since":"s"},"b":"old compromised mark","c":{"reason":1,"since":"s"}}');
    expect(await store.loadExclusions()).toEqual({ a: { reason: 'r', since: 's' } });
    writeFileSync(join(dir, 'exclusions.json'), '{not json');
    expect(await store.loadExclusions()).toEqual({});
  });
});
