// The origin's fetch never reaches the machine's own network through a host name: `localhost`
// (and any name whose DNS answer is loopback, private or link-local) is refused unless the
// configured source is local itself. A real server on 127.0.0.1 stands in for the local service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuardedFetch, isLocalAddress } from '../../src/adapters/node/guarded-fetch.ts';
import { createLimitedFetch } from '../../src/adapters/web/limited-fetch.ts';
import { FetchError } from '../../src/ports/fetch.ts';

let server: Server;
let port = 0;
const hits: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('internal service');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const limits = { timeoutMs: 3000, maxBytes: 1024 };

describe('guarded fetch', () => {
  it('refuses a name that resolves to a local address, and never sends the request', async () => {
    hits.length = 0;
    // A stand-in resolver (no DNS server here): intranet.example answers 127.0.0.1, where the
    // real server listens; the connection itself would be made by undici as in production.
    const resolve = async (hostname: string) => (hostname === 'intranet.example' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const fetch = createLimitedFetch({ fetch: createGuardedFetch({ resolve }) });
    const error = await fetch(`http://intranet.example:${port}/admin`, limits).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).problem).toBe('unreachable');
    expect((error as FetchError).message).toMatch(/intranet\.example resolves to a local address \(127\.0\.0\.1\); refusing to connect/);
    expect(hits).toEqual([]);
  });

  it('refuses a local IP literal too (no lookup happens for one), and connects when local is allowed', async () => {
    hits.length = 0;
    const guarded = createLimitedFetch({ fetch: createGuardedFetch() });
    for (const url of [`http://127.0.0.1:${port}/b`, `http://[::1]:${port}/b`, 'http://169.254.169.254/latest/meta-data/']) {
      const error = await guarded(url, limits).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, url).toBeInstanceOf(FetchError);
      expect((error as FetchError).message).toMatch(/is a local address; refusing to connect/);
    }
    const allowed = createLimitedFetch({ fetch: createGuardedFetch({ allowLocal: true }) });
    expect(new TextDecoder().decode((await allowed(`http://localhost:${port}/a`, limits)).body)).toBe('internal service');
    expect((await allowed(`http://127.0.0.1:${port}/c`, limits)).status).toBe(200);
    expect(hits).toEqual(['/a', '/c']);
  });

  it.each([
    ['127.0.0.1', 4, true],
    ['10.0.0.8', 4, true],
    ['169.254.169.254', 4, true],
    ['93.184.215.14', 4, false],
    ['::1', 6, true],
    ['fe80::1', 6, true],
    ['fd00::5', 6, true],
    ['2606:4700::6810:84e5', 6, false],
  ])('isLocalAddress(%s, %d) is %s', (address, family, local) => {
    expect(isLocalAddress(address, family)).toBe(local);
  });
});
