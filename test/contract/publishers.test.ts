// Runs the publisher contract against every adapter, each on a real local backing store where one
// exists (a folder, a bare git repository) and on loopback fakes of the Cloudflare KV and S3 APIs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectoryPublisher, nodeFolderWriter, type FolderWriter } from '../../src/adapters/publishers/directory-publisher.ts';
import { createKvPublisher } from '../../src/adapters/publishers/kv-publisher.ts';
import { PublishError } from '../../src/ports/publisher.ts';
import { startFakeKvApi } from '../helpers/fake-kv-api.ts';
import { readTree } from '../helpers/tree.ts';
import { describe, expect, it } from 'vitest';
import { describePublisherContract, type BackingWrite } from './publisher.contract.ts';

describePublisherContract('directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pub-dir-'));
  const root = join(dir, 'site');
  const log: BackingWrite[] = [];
  const failing = new Set<string>();
  const toPath = (file: string): string => file.slice(root.length).split('\\').join('/');
  const writer: FolderWriter = {
    async write(file, bytes, durable) {
      const path = toPath(file);
      if (failing.delete(path)) throw new Error('EIO: injected write failure');
      await nodeFolderWriter.write(file, bytes, durable);
      log.push({ op: 'put', path });
    },
    async remove(file) {
      await nodeFolderWriter.remove(file);
      log.push({ op: 'delete', path: toPath(file) });
    },
  };
  return {
    target: createDirectoryPublisher({ id: 'folder-mirror', path: root }, { writer, concurrency: 4 }),
    read: async () => new Map([...(await readTree(root))].map(([p, b]) => [p, new Uint8Array(b)])),
    takeLog: async () => log.splice(0),
    failWrite: (path) => failing.add(path),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

const KV = { accountId: 'acc0123', namespaceId: 'ns4567', token: 'kv-secret-token-value' };

describePublisherContract('kv (fake Cloudflare API)', async () => {
  const api = await startFakeKvApi({ ...KV, pageSize: 3 });
  const prefix = 'blog:';
  return {
    target: createKvPublisher(
      { id: 'workers-kv', accountId: KV.accountId, namespaceId: KV.namespaceId, tokenEnv: 'FERRY_TEST_KV_TOKEN', prefix, apiBase: api.apiBase, timeoutMs: 5000 },
      // Small batches so the contract also crosses batch boundaries.
      { env: { FERRY_TEST_KV_TOKEN: KV.token }, maxBatchKeys: 4 },
    ),
    read: async () => new Map([...api.store].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v.value])),
    takeLog: async () => api.log.splice(0).map((w) => ({ op: w.op, path: w.key.slice(prefix.length) })),
    failWrite: (path) => api.failNextWriteOf(prefix + path),
    close: () => api.close(),
  };
});

describe('kv publisher specifics', () => {
  it('names the missing token variable, sends nothing, and never shows a token', async () => {
    const api = await startFakeKvApi(KV);
    try {
      const target = createKvPublisher({ id: 'kv1', ...KV, tokenEnv: 'FERRY_NO_SUCH_VAR', apiBase: api.apiBase }, { env: {} });
      const { makeSignedSnapshot, testKeyPair, sampleFiles } = await import('../helpers/signed-snapshot.ts');
      const snap = makeSignedSnapshot(sampleFiles(), { version: 1, keyPair: testKeyPair(1), now: new Date(), expiresInMs: 1e9, mirrors: [], canonical: 'https://x.example/' });
      const err = await target.publish(snap).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect(String(err)).toContain('FERRY_NO_SUCH_VAR');
      expect(api.requests).toBe(0);
      const wrong = createKvPublisher({ id: 'kv1', ...KV, tokenEnv: 'T', apiBase: api.apiBase }, { env: { T: 'wrong-token-123' } });
      const err2 = await wrong.publish(snap).then(() => undefined, (e: unknown) => e);
      expect(String(err2)).toMatch(/HTTP 403.*check that T holds a token/);
      expect(String(err2)).not.toContain('wrong-token-123');
    } finally {
      await api.close();
    }
  });
});
