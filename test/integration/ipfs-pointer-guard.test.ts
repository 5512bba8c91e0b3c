// Pointers (IPNS through Kubo, DNSLink through the Cloudflare DNS API) move only after the pin is
// confirmed and two loopback Ferry gateways served the root back as verifiable CARs. Also the
// Pinning Service API pinner (polling with a deadline) and the DNSLink adapter on their own.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { CID } from 'multiformats/cid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIpfsGateway } from '../../src/edge/ipfs-gateway.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';
import { createMemoryBlockstore, type MemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { toCar, walkDag } from '../../src/adapters/ipfs/car.ts';
import { createKuboIpnsPointer, createKuboPinner } from '../../src/adapters/ipfs/kubo-publisher.ts';
import { createPinningServicePinner } from '../../src/adapters/ipfs/pinning-service.ts';
import { createCloudflareDnslinkPointer, toDnslinkValue } from '../../src/adapters/ipfs/dnslink-cloudflare.ts';
import { createPointerGuard, PointerGuardError, type GatewayRef } from '../../src/adapters/ipfs/pointer-guard.ts';
import type { BlockGetter, Pinner } from '../../src/ports/ipfs.ts';
import { startFakeKubo, type FakeKubo } from '../helpers/fake-kubo-rpc.ts';
import { startFakePinningService, type FakePinningService } from '../helpers/fake-pinning-service.ts';
import { startFakeCloudflareDns, type FakeCloudflareDns } from '../helpers/fake-cloudflare-dns.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const OLD = 'dnslink=/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
const TOKEN = 'cf-secret-token';
const env = { CF_API_TOKEN: TOKEN, PSA_TOKEN: 'psa-secret' };

let store: MemoryBlockstore;
let root: CID;
let kubo: FakeKubo;
let dns: FakeCloudflareDns;
let psa: FakePinningService;
const servers: ServerType[] = [];

function gatewayOver(name: string, blocks: BlockGetter): Promise<GatewayRef> {
  const app = new Hono();
  app.route('/ipfs', createIpfsGateway({ blocks }));
  return new Promise((done) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => done({ name, url: `http://127.0.0.1:${info.port}` }));
    servers.push(s);
  });
}

let goodA: GatewayRef;
let goodB: GatewayRef;
let tampering: GatewayRef;
let down: GatewayRef;

beforeAll(async () => {
  store = createMemoryBlockstore();
  root = (
    await importSnapshot(
      new Map([
        ['/index.html', enc('<h1>新版本</h1>')],
        ['/posts/x/index.html', enc('x')],
        ['/media/photo.jpg', new Uint8Array(300_000).map((_, i) => (i * 13) % 256)],
      ]),
      store,
    )
  ).root;
  goodA = await gatewayOver('edge-a', store);
  goodB = await gatewayOver('edge-b', store);
  tampering = await gatewayOver('edge-evil', {
    has: (cid) => store.has(cid),
    get: async (cid) => {
      const bytes = await store.get(cid);
      if (bytes === undefined || cid.code !== 0x55) return bytes;
      const copy = new Uint8Array(bytes);
      copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
      return copy;
    },
  });
  down = { name: 'edge-down', url: 'http://127.0.0.1:9' };
  kubo = await startFakeKubo();
  psa = await startFakePinningService({ token: env.PSA_TOKEN });
});
afterAll(async () => {
  for (const s of servers) await new Promise((done) => s.close(done));
  await kubo.close();
  await psa.close();
});
beforeEach(async () => {
  await dns?.close();
  dns = await startFakeCloudflareDns({
    token: TOKEN,
    records: [{ id: 'r1', type: 'TXT', name: '_dnslink.blog.example.org', content: OLD, ttl: 60 }],
  });
  kubo.options = {};
  kubo.ipns.clear();
  psa.options = { token: env.PSA_TOKEN };
});

const car = () => toCar([root], walkDag(root, store));
const dnslink = () =>
  createCloudflareDnslinkPointer({
    zoneId: dns.zoneId,
    recordName: '_dnslink.blog.example.org',
    tokenEnv: 'CF_API_TOKEN',
    env,
    apiBase: dns.apiBase,
  });
const ipns = () => createKuboIpnsPointer({ url: kubo.url, key: 'blog', name: 'kubo' });
const dnsContent = (): string | undefined => dns.records.get('r1')?.content;
const fastPsa = (extra: Partial<Parameters<typeof createPinningServicePinner>[0]> = {}): Pinner =>
  createPinningServicePinner({
    name: 'psa',
    endpoint: psa.url,
    tokenEnv: 'PSA_TOKEN',
    env,
    pollIntervalMs: 1,
    sleep: async () => undefined,
    ...extra,
  });

describe('pointer guard', () => {
  it('two good gateways and confirmed pins: both pointers move', async () => {
    const guard = createPointerGuard({
      pinners: [createKuboPinner({ url: kubo.url, name: 'kubo' }), fastPsa()],
      gateways: [goodA, goodB],
      pointers: [dnslink(), ipns()],
    });
    const report = await guard.publish({ root, car, name: 'ferry v2' });
    expect(report.pins.map((p) => p.pinner)).toEqual(['kubo', 'pinning service psa']);
    expect(report.gateways.every((g) => g.ok)).toBe(true);
    expect(report.pointers.every((p) => p.ok)).toBe(true);
    expect(dnsContent()).toBe(`dnslink=/ipfs/${root.toString()}`);
    expect(kubo.ipns.get('blog')).toBe(`/ipfs/${root.toString()}`);
  });

  it('pin fails: pointers unchanged', async () => {
    kubo.options = { failPin: 'pin: not enough disk space' };
    const guard = createPointerGuard({
      pinners: [createKuboPinner({ url: kubo.url, name: 'kubo' })],
      gateways: [goodA, goodB],
      pointers: [dnslink(), ipns()],
    });
    const error = await guard.publish({ root, car, name: 'v2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PointerGuardError);
    expect(error).toMatchObject({ stage: 'pin' });
    expect(String(error)).toContain('not enough disk space');
    expect(dnsContent()).toBe(OLD);
    expect(kubo.ipns.size).toBe(0);
  });

  it('a pinning service that reports failed: pointers unchanged', async () => {
    psa.options = { token: env.PSA_TOKEN, outcome: 'failed' };
    const guard = createPointerGuard({ pinners: [fastPsa()], gateways: [goodA, goodB], pointers: [dnslink()] });
    await expect(guard.publish({ root, car, name: 'v2' })).rejects.toThrow(/pinning service psa: request .* failed/);
    expect(dnsContent()).toBe(OLD);
  });

  it('one gateway serves a tampered block: pointers unchanged, the error names it', async () => {
    const guard = createPointerGuard({
      pinners: [createKuboPinner({ url: kubo.url, name: 'kubo' })],
      gateways: [goodA, tampering, goodB],
      pointers: [dnslink(), ipns()],
    });
    const error = await guard.publish({ root, car, name: 'v2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PointerGuardError);
    expect(String(error)).toMatch(/gateway edge-evil: block bafk\w+ does not hash to its CID/);
    expect(dnsContent()).toBe(OLD);
    expect(kubo.ipns.size).toBe(0);
  });

  it('only one gateway reachable: not enough verification, pointers unchanged', async () => {
    const guard = createPointerGuard({
      pinners: [createKuboPinner({ url: kubo.url, name: 'kubo' })],
      gateways: [goodA, down],
      pointers: [dnslink()],
      gatewayTimeoutMs: 2000,
    });
    await expect(guard.publish({ root, car, name: 'v2' })).rejects.toThrow(
      /only 1 of 2 required gateways verified the root \(gateway edge-down: .*cannot connect/,
    );
    expect(dnsContent()).toBe(OLD);
  });

  it('a gateway that lacks the root (404): not counted', async () => {
    const empty = await gatewayOver('edge-empty', createMemoryBlockstore());
    const guard = createPointerGuard({ pinners: [createKuboPinner({ url: kubo.url })], gateways: [goodA, empty], pointers: [dnslink()] });
    await expect(guard.publish({ root, car, name: 'v2' })).rejects.toThrow(/edge-empty: HTTP 404/);
    expect(dnsContent()).toBe(OLD);
  });

  it('refuses an undefined or invalid root before calling anything', async () => {
    const guard = createPointerGuard({
      pinners: [createKuboPinner({ url: kubo.url })],
      gateways: [goodA, goodB],
      pointers: [dnslink(), ipns()],
    });
    const before = kubo.requests.length;
    for (const bad of [undefined, 'undefined', '', 'Qm-not-a-cid']) {
      await expect(guard.publish({ root: bad, car, name: 'v2' })).rejects.toMatchObject({ stage: 'root' });
    }
    expect(kubo.requests.length).toBe(before);
    expect(dns.requests).toEqual([]);
    expect(() => toDnslinkValue(undefined)).toThrow(/refusing to point DNSLink at "undefined"/);
  });
});

describe('Pinning Service API pinner', () => {
  it('POSTs /pins, polls until pinned, sends the token from the named variable', async () => {
    const from = psa.requests.length;
    const receipt = await fastPsa().pin({ root, car, name: 'ferry v2' });
    expect(receipt.cid).toBe(root.toString());
    const mine = psa.requests.slice(from);
    expect(mine[0]).toBe('POST /pins');
    expect(mine.length).toBeGreaterThan(1);
    expect(mine.slice(1).every((r) => r.startsWith('GET /pins/'))).toBe(true);
    expect([...psa.pins.values()].at(-1)).toMatchObject({ cid: root.toString(), name: 'ferry v2', status: 'pinned' });
  });

  it('gives up at the deadline while the service is still pinning', async () => {
    psa.options = { token: env.PSA_TOKEN, outcome: 'never' };
    let clock = 0;
    const pinner = fastPsa({ pollIntervalMs: 1000, deadlineMs: 10_000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    await expect(pinner.pin({ root, car, name: 'slow' })).rejects.toMatchObject({ problem: 'timeout' });
    expect(clock).toBeLessThanOrEqual(10_000);
  });

  it('refuses without the token, rejects a wrong token, and catches a service pinning another CID', async () => {
    await expect(
      createPinningServicePinner({ name: 'psa', endpoint: psa.url, tokenEnv: 'MISSING', env }).pin({ root, car, name: 'x' }),
    ).rejects.toThrow(/set the environment variable MISSING/);
    await expect(
      createPinningServicePinner({ name: 'psa', endpoint: psa.url, tokenEnv: 'CF_API_TOKEN', env }).pin({ root, car, name: 'x' }),
    ).rejects.toThrow(/HTTP 401 \(UNAUTHORIZED/);
    psa.options = { token: env.PSA_TOKEN, lieAboutCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' };
    await expect(fastPsa().pin({ root, car, name: 'x' })).rejects.toThrow(/is for bafkrei/);
  });
});

describe('Cloudflare DNSLink pointer', () => {
  it('patches the existing record, or creates one', async () => {
    const moved = await dnslink().point(root);
    expect(moved.value).toBe(`dnslink=/ipfs/${root.toString()}`);
    expect(dns.requests.map((r) => r.split('?')[0])).toEqual([
      `GET /client/v4/zones/${dns.zoneId}/dns_records`,
      `PATCH /client/v4/zones/${dns.zoneId}/dns_records/r1`,
    ]);
    const fresh = createCloudflareDnslinkPointer({
      zoneId: dns.zoneId,
      recordName: '_dnslink.new.example.org',
      tokenEnv: 'CF_API_TOKEN',
      env,
      apiBase: dns.apiBase,
    });
    await fresh.point(root);
    expect([...dns.records.values()].find((r) => r.name === '_dnslink.new.example.org')?.content).toBe(`dnslink=/ipfs/${root.toString()}`);
  });

  it('a bad token is an error naming the record, and nothing changes', async () => {
    const bad = createCloudflareDnslinkPointer({
      zoneId: dns.zoneId,
      recordName: '_dnslink.blog.example.org',
      tokenEnv: 'PSA_TOKEN',
      env,
      apiBase: dns.apiBase,
    });
    await expect(bad.point(root)).rejects.toThrow(/dnslink _dnslink.blog.example.org: GET .* HTTP 403 \(Authentication error\)/);
    expect(dnsContent()).toBe(OLD);
  });
});
