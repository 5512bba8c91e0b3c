// The Kubo publisher (kubo-rpc-client 7.1.0) against a fake Kubo RPC server that really parses
// the uploaded CAR and rehashes every block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CID } from 'multiformats/cid';
import { createKuboIpnsPointer, createKuboPinner } from '../../src/adapters/ipfs/kubo-publisher.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';
import { createMemoryBlockstore, type MemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { toCar, walkDag, type Block } from '../../src/adapters/ipfs/car.ts';
import { IpfsServiceError } from '../../src/ports/ipfs.ts';
import { startFakeKubo, type FakeKubo } from '../helpers/fake-kubo-rpc.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
let store: MemoryBlockstore;
let root: CID;
let kubo: FakeKubo;

beforeAll(async () => {
  store = createMemoryBlockstore();
  const files = new Map<string, Uint8Array>([
    ['/index.html', enc('<h1>首页</h1>')],
    ['/posts/a/index.html', enc('a')],
    ['/media/big.bin', new Uint8Array(1.5 * 1024 * 1024).map((_, i) => i % 253)],
  ]);
  root = (await importSnapshot(files, store)).root;
  kubo = await startFakeKubo();
});
afterAll(async () => {
  await kubo.close();
});

const carOf =
  (r: CID, blocks = walkDag(r, store)) =>
  () =>
    toCar([r], blocks);

describe('Kubo publisher (fake Kubo RPC)', () => {
  it('imports the CAR, pins the root and confirms it with pin/ls', async () => {
    kubo.options = {};
    const pinner = createKuboPinner({ url: kubo.url, name: 'kubo-test' });
    const receipt = await pinner.pin({ root, car: carOf(root), name: 'ferry 1' });
    expect(receipt).toMatchObject({ pinner: 'kubo-test', cid: root.toString() });
    expect(kubo.pins.get(root.toString())).toEqual({ type: 'recursive', name: 'ferry 1' });
    expect(kubo.blocks.size).toBe(store.size);
    expect(kubo.requests.map((r) => r.split('?')[0])).toEqual(['dag/import', 'pin/add', 'pin/ls']);
    expect(kubo.requests[0]).toContain('pin-roots=false');
    expect(kubo.requests[2]).toContain('type=recursive');
  });

  it('a tampered upload is rejected by the node and the pin fails', async () => {
    const fresh = await startFakeKubo();
    try {
      async function* tampered(): AsyncGenerator<Block> {
        for await (const block of walkDag(root, store)) {
          if (block.cid.code === 0x55) {
            const bytes = new Uint8Array(block.bytes);
            bytes[0] = (bytes[0] ?? 0) ^ 1;
            yield { cid: block.cid, bytes };
          } else yield block;
        }
      }
      const pinner = createKuboPinner({ url: fresh.url, name: 'kubo-fresh' });
      const error = await pinner.pin({ root, car: () => toCar([root], tampered()), name: 'bad' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IpfsServiceError);
      expect(String(error)).toMatch(/kubo-fresh: .*hash mismatch/);
      expect(fresh.pins.size).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('an incomplete CAR cannot be pinned (the node lacks blocks)', async () => {
    const fresh = await startFakeKubo();
    try {
      async function* onlyRoot(): AsyncGenerator<Block> {
        const bytes = await store.get(root);
        if (bytes) yield { cid: root, bytes };
      }
      const pinner = createKuboPinner({ url: fresh.url });
      await expect(pinner.pin({ root, car: () => toCar([root], onlyRoot()), name: 'partial' })).rejects.toThrow(/could not find/);
      expect(fresh.pins.size).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('a pin/add failure and a hanging pin/ls are errors naming the node', async () => {
    kubo.options = { failPin: 'pin: context deadline exceeded' };
    // The short deadline for the hang only: on a loaded machine the failing pin/add could take over 300 ms.
    const pinner = createKuboPinner({ url: kubo.url, name: 'kubo-test', timeoutMs: 10_000 });
    await expect(pinner.pin({ root, car: carOf(root), name: 'x' })).rejects.toThrow(/^kubo-test: .*context deadline exceeded/);
    kubo.options = { hang: 'pin/ls' };
    const impatient = createKuboPinner({ url: kubo.url, name: 'kubo-test', timeoutMs: 300 });
    const error = await impatient.pin({ root, car: carOf(root), name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpfsServiceError);
    expect(error).toMatchObject({ problem: 'timeout', service: 'kubo-test' });
    kubo.options = {};
  });

  it('an unreachable node is reported as such', async () => {
    const pinner = createKuboPinner({ url: 'http://127.0.0.1:9', name: 'nowhere', timeoutMs: 2000 });
    await expect(pinner.pin({ root, car: carOf(root), name: 'x' })).rejects.toMatchObject({ service: 'nowhere' });
  });

  it('publishes IPNS with name/publish', async () => {
    const pointer = createKuboIpnsPointer({ url: kubo.url, key: 'blog', name: 'kubo-test' });
    const moved = await pointer.point(root);
    expect(kubo.ipns.get('blog')).toBe(`/ipfs/${root.toString()}`);
    expect(moved.value).toContain(`/ipfs/${root.toString()}`);
    const last = new URL(`http://x/${kubo.requests.at(-1) ?? ''}`);
    expect(last.pathname).toBe('/name/publish');
    expect(last.searchParams.get('arg')).toBe(`/ipfs/${root.toString()}`);
    expect(last.searchParams.get('key')).toBe('blog');
  });
});
