// A republish pins the new IPFS root (Kubo RPC, against the fake), fetches it back through two
// trustless gateways (real Ferry gateways on loopback over the run's own block store), and only
// then moves the IPNS pointer. A tampering gateway stops the move and the run says so.
import { existsSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createIpfsGateway } from '../../src/edge/ipfs-gateway.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import type { BlockGetter } from '../../src/ports/ipfs.ts';
import { loadConfig } from '../../src/node/load-config.ts';
import { createRepublisher } from '../../src/node/republisher.ts';
import { startFakeKubo, type FakeKubo } from '../helpers/fake-kubo-rpc.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const servers: ServerType[] = [];
let work: string;
let kubo: FakeKubo;

function gateway(blocks: BlockGetter): Promise<string> {
  const app = new Hono();
  app.route('/ipfs', createIpfsGateway({ blocks }));
  return new Promise((done) => {
    servers.push(serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => done(`http://127.0.0.1:${info.port}`)));
  });
}

/** Serves the store's blocks with one byte flipped in each: data that cannot verify. */
function tampered(blocks: BlockGetter): BlockGetter {
  return {
    has: (cid) => blocks.has(cid),
    get: async (cid) => {
      const b = await blocks.get(cid);
      if (b === undefined) return undefined;
      const copy = Uint8Array.from(b);
      copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
      return copy;
    },
  };
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-republish-ipfs-'));
  kubo = await startFakeKubo();
});
afterEach(async () => {
  await kubo.close();
  for (const s of servers.splice(0)) s.close();
  await rm(work, { recursive: true, force: true });
});
afterAll(() => undefined);

async function republisherWith(gateways: Array<{ name: string; url: string }>) {
  await writeFile(
    join(work, 'ferry.config.json'),
    JSON.stringify({
      source: EXAMPLES,
      out: 'site',
      data: 'data',
      mirrors: 'mirrors.json',
      ipfs: {
        embedded: true,
        pinners: [{ id: 'kubo', kind: 'kubo', url: kubo.url }],
        pointers: [{ id: 'ipns', kind: 'ipns', url: kubo.url, key: 'self' }],
        gateways,
      },
    }),
  );
  const config = await loadConfig(work);
  return createRepublisher({ config, env: {} });
}

describe('IPFS pins and pointers in a republish', () => {
  it('moves the pointer only after the pin and two gateways verified the root', async () => {
    const store = createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) });
    const gateways = [
      { name: 'edge-a', url: await gateway(store) },
      { name: 'edge-b', url: await gateway(store) },
    ];
    const { run } = await (await republisherWith(gateways)).run('manual');
    expect(run.outcome, run.error).toBe('ok');
    expect(run.cid).toMatch(/^bafy/);
    expect(run.ipfs?.outcome).toBe('ok');
    expect(run.ipfs?.pinned).toEqual(['kubo']);
    expect(run.ipfs?.verifiedBy.sort()).toEqual(['edge-a', 'edge-b']);
    expect([...kubo.pins.keys()]).toContain(run.cid);
    expect(kubo.ipns.get('self')).toBe(`/ipfs/${run.cid}`);
    // Order: the pointer moved last.
    const publishAt = kubo.requests.findIndex((r) => r.startsWith('name/publish'));
    const pinAt = kubo.requests.findIndex((r) => r.startsWith('pin/add'));
    expect(pinAt).toBeGreaterThanOrEqual(0);
    expect(publishAt).toBeGreaterThan(pinAt);
  });

  it('does not move the pointer when a gateway serves data that does not verify', async () => {
    const store = createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) });
    // What an import killed mid-write left; the first run of a process sweeps it (under its lock).
    const stale = join(blockstoreDir(join(work, 'data')), 'bafkreistale.tmp-0123456789ab');
    await mkdir(blockstoreDir(join(work, 'data')), { recursive: true });
    await writeFile(stale, 'half a block');
    const gateways = [
      { name: 'edge-a', url: await gateway(store) },
      { name: 'edge-evil', url: await gateway(tampered(store)) },
    ];
    const { run } = await (await republisherWith(gateways)).run('manual');
    expect(run.outcome).toBe('partial');
    expect(run.ipfs?.outcome).toBe('failed');
    expect(run.ipfs?.error).toMatch(/edge-evil/);
    expect(kubo.ipns.has('self')).toBe(false);
    expect(kubo.requests.some((r) => r.startsWith('name/publish'))).toBe(false);
    expect(existsSync(stale)).toBe(false);
  });

  it('refuses a configuration whose pointers could move to an unverified root', async () => {
    await writeFile(
      join(work, 'ferry.config.json'),
      JSON.stringify({ ipfs: { pointers: [{ id: 'ipns', kind: 'ipns', url: kubo.url }], gateways: [] } }),
    );
    await expect(loadConfig(work)).rejects.toThrow(/ipfs\.pointers need at least one pinner and 2 gateways/);
  });
});
