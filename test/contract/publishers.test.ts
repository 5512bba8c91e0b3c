// Runs the publisher contract against every adapter, each on a real local backing store where one
// exists (a folder, a bare git repository) and on loopback fakes of the Cloudflare KV and S3 APIs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectoryPublisher, nodeFolderWriter, type FolderWriter } from '../../src/adapters/publishers/directory-publisher.ts';
import { readTree } from '../helpers/tree.ts';
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
