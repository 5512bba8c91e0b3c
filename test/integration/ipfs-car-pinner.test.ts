// Pinning by CAR upload (the S3 API with x-amz-meta-import: car, as Filebase takes it), against the
// fake S3 (test/helpers/fake-s3.ts, which says so in its first line: it re-verifies SigV4, imports
// the CAR only if every block rehashes and the DAG is complete, and answers the root on HEAD).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3CarPinner } from '../../src/adapters/ipfs/s3-car-pinner.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';
import { createMemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { collectBytes, toCar, walkDag } from '../../src/adapters/ipfs/car.ts';
import { startFakeS3, type FakeS3 } from '../helpers/fake-s3.ts';

const creds = { bucket: 'blog-ipfs', region: 'us-east-1', accessKeyId: 'AKIDFERRYTEST', secretAccessKey: 'car-secret-key' };
const env = { CAR_KEY: creds.accessKeyId, CAR_SECRET: creds.secretAccessKey };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
let s3: FakeS3;

beforeEach(async () => {
  s3 = await startFakeS3(creds);
});
afterEach(() => s3.close());

async function snapshot(text: string) {
  const store = createMemoryBlockstore();
  const { root } = await importSnapshot(
    new Map([
      ['/index.html', enc(text)],
      ['/media/a.png', new Uint8Array(70_000).fill(7)],
    ]),
    store,
  );
  return { root, car: () => toCar([root], walkDag(root, store)) };
}

const pinner = (overrides: Record<string, string> = {}) =>
  createS3CarPinner({
    name: 'filebase',
    endpoint: s3.endpoint,
    bucket: creds.bucket,
    accessKeyIdEnv: 'CAR_KEY',
    secretAccessKeyEnv: 'CAR_SECRET',
    env: { ...env, ...overrides },
  });

describe('CAR upload pinner', () => {
  it('uploads the CAR, and the service pins exactly our root', async () => {
    const { root, car } = await snapshot('<h1>版本</h1>');
    const receipt = await pinner().pin({ root, car, name: 'ferry v1' });
    expect(receipt).toMatchObject({ pinner: 'filebase', cid: root.toString() });
    const stored = [...s3.objects.values()][0];
    expect(stored?.cid).toBe(root.toString());
    expect(stored?.contentType).toBe('application/vnd.ipld.car');
  });

  it('refuses a pin of another root than the CAR holds', async () => {
    const a = await snapshot('a');
    const b = await snapshot('b');
    await expect(pinner().pin({ root: a.root, car: b.car, name: 'mixed' })).rejects.toThrow(/pinned .* for the CAR of/);
  });

  it('reports a CAR the service refuses (a block that does not verify)', async () => {
    const { root, car } = await snapshot('c');
    const bytes = await collectBytes(car());
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await expect(
      pinner().pin({
        root,
        car: async function* () {
          yield bytes;
        },
        name: 'tampered',
      }),
    ).rejects.toThrow(/HTTP 400/);
  });

  it('names the environment variables when the credentials are missing, and never shows the secret', async () => {
    const { root, car } = await snapshot('d');
    const err = await pinner({ CAR_SECRET: '' })
      .pin({ root, car, name: 'x' })
      .catch((e: Error) => e);
    expect(String(err)).toMatch(/CAR_KEY and CAR_SECRET/);
    const wrong = await pinner({ CAR_SECRET: 'wrong-secret' })
      .pin({ root, car, name: 'x' })
      .catch((e: Error) => e);
    expect(String(wrong)).toMatch(/HTTP 403/);
    expect(String(wrong)).not.toContain('wrong-secret');
  });
});
