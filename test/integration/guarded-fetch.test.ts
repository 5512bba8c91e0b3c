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
    const fetch = createLimitedFetch({ fetch: createGuardedFetch() });
    const error = await fetch(`http://localhost:${port}/admin`, limits).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).problem).toBe('unreachable');
    expect((error as FetchError).message).toMatch(/localhost resolves to a local address \((127\.0\.0\.1|::1)\); refusing to connect/);
    expect(hits).toEqual([]);
  });

  it('connects when local addresses are allowed (a local source), and to IP literals', async () => {
    hits.length = 0;
    const allowed = createLimitedFetch({ fetch: createGuardedFetch({ allowLocal: true }) });
    expect(new TextDecoder().decode((await allowed(`http://localhost:${port}/a`, limits)).body)).toBe('internal service');
    // Literals are the URL checks' business (a loopback origin may be fetched directly).
    const guarded = createLimitedFetch({ fetch: createGuardedFetch() });
    expect((await guarded(`http://127.0.0.1:${port}/b`, limits)).status).toBe(200);
    expect(hits).toEqual(['/a', '/b']);
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
