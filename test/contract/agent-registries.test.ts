// Runs the agent registry contract against every adapter; the SQLite one shares the health store's file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryAgentRegistry } from '../../src/adapters/health/memory-agent-registry.ts';
import { createSqliteAgentRegistry } from '../../src/adapters/health/sqlite-agent-registry.ts';
import { createSqliteHealthStore } from '../../src/adapters/health/sqlite-health-store.ts';
import { toBase64 } from '../../src/core/bytes.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { agentRegistryContract } from './agent-registry.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-agents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let last = '';

agentRegistryContract('memory', { open: () => createMemoryAgentRegistry() });
agentRegistryContract('sqlite', {
  open: () => createSqliteAgentRegistry((last = join(dir, `a${n++}.db`))),
  reopen: () => createSqliteAgentRegistry(last),
});

describe('sqlite agent registry', () => {
  it('lives beside the health store in one file, each keeping its own tables', async () => {
    const file = join(dir, 'shared.db');
    const health = createSqliteHealthStore(file);
    const agents = createSqliteAgentRegistry(file);
    await agents.enroll({
      id: 'one',
      publicKey: toBase64(generateKeyPair(new Uint8Array(32).fill(9)).publicKey),
      country: 'CN',
      enrolledAt: '2026-12-01T00:00:00.000Z',
    });
    await health.recordResults([
      {
        target: 'a',
        vantage: { id: 'one', kind: 'agent', country: 'CN' },
        at: '2026-12-01T00:00:00.000Z',
        verdict: 'healthy',
        evidence: [],
      },
    ]);
    expect(await health.latestResults('2026-11-30T00:00:00.000Z')).toHaveLength(1);
    expect((await agents.list()).map((a) => a.id)).toEqual(['one']);
    await agents.close();
    await health.close();
  });
});
