// The limited fetch follows redirects itself: each hop is checked (http(s) only, a bounded count,
// never from a public host into the machine's own network), and the deadline covers them all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLimitedFetch, isLocalHost } from '../../src/adapters/web/limited-fetch.ts';
import { FetchError } from '../../src/ports/fetch.ts';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const to = (location: string): void => void res.writeHead(302, { location }).end('moved');
    if (req.url === '/a') return to('/b');
    if (req.url === '/b') return to(`${base}/c`);
    if (req.url === '/c') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('arrived');
    if (req.url === '/loop') return to('/loop');
    if (req.url === '/ftp') return to('ftp://files.example/x');
    if (req.url === '/to-hang') return to('/hang');
    if (req.url === '/hang') return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const limits = { timeoutMs: 2000, maxBytes: 1024 };
const failure = (p: Promise<unknown>): Promise<FetchError> =>
  p.then(
    () => {
      throw new Error('expected a FetchError');
    },
    (e: unknown) => {
      if (e instanceof FetchError) return e;
      throw e;
    },
  );

describe('limited fetch redirects', () => {
  it('follows relative and absolute redirects on a loopback origin, reporting the final URL', async () => {
    const res = await createLimitedFetch()(`${base}/a`, limits);
    expect(res.status).toBe(200);
    expect(new TextDecoder().decode(res.body)).toBe('arrived');
    expect(res.url).toBe(`${base}/c`);
  });

  it('stops a redirect loop, a non-http redirect, and a hang behind a redirect, naming the URL', async () => {
    const loop = await failure(createLimitedFetch({ maxRedirects: 3 })(`${base}/loop`, limits));
    expect(loop).toMatchObject({ problem: 'redirect', url: `${base}/loop` });
    expect(loop.message).toMatch(/more than 3 redirects/);
    const ftp = await failure(createLimitedFetch()(`${base}/ftp`, limits));
    expect(ftp).toMatchObject({ problem: 'redirect' });
    expect(ftp.message).toMatch(/ftp: URL; only http and https are followed/);
    const started = Date.now();
    const hang = await failure(createLimitedFetch()(`${base}/to-hang`, { ...limits, timeoutMs: 300 }));
    expect(hang.problem).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('never follows a public host into a local address (cloud metadata, loopback)', async () => {
    for (const target of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:8080/admin',
      'http://[::1]/',
      'http://2130706433/',
      'http://localhost/',
    ]) {
      const asked: string[] = [];
      // A stand-in for the network (a public image host cannot run here): it answers one redirect.
      const fetch: typeof globalThis.fetch = async (input) => {
        asked.push(String(input));
        return new Response('moved', { status: 302, headers: { location: target } });
      };
      const error = await failure(createLimitedFetch({ fetch })('https://images.example/photo.png', limits));
      expect(error).toMatchObject({ problem: 'redirect', url: 'https://images.example/photo.png' });
      expect(error.message).toMatch(/redirected to a local address .*refusing to follow/);
      expect(asked).toEqual(['https://images.example/photo.png']);
    }
  });
});

describe('limited fetch for what an untrusted origin names (allowLocal: false)', () => {
  it('refuses a local first URL without sending anything, and still fetches public ones', async () => {
    const asked: string[] = [];
    // A stand-in for the network: it answers every request it gets.
    const fetch: typeof globalThis.fetch = async (input) => {
      asked.push(String(input));
      return new Response('ok', { status: 200 });
    };
    const limited = createLimitedFetch({ fetch, allowLocal: false });
    for (const url of ['http://127.0.0.1:8787/', 'http://10.0.0.1/feed', 'http://[fd00::1]/', 'http://localhost/x']) {
      const error = await failure(limited(url, limits));
      expect(error).toMatchObject({ problem: 'bad-url', url });
      expect(error.message).toMatch(/is a local address; refusing to fetch it/);
    }
    expect(asked).toEqual([]);
    expect((await limited('https://blog.example/feeds/posts/default', limits)).status).toBe(200);
    // Loopback origins keep working by default (a local start may stay local).
    expect((await createLimitedFetch()(`${base}/c`, limits)).status).toBe(200);
  });
});

describe('isLocalHost', () => {
  const host = (url: string): string => new URL(url).hostname;
  it.each([
    ['http://127.0.0.1/', true],
    ['http://127.1/', true],
    ['http://0x7f.0.0.1/', true],
    ['http://2130706433/', true],
    ['http://10.2.3.4/', true],
    ['http://172.16.0.1/', true],
    ['http://172.31.255.255/', true],
    ['http://172.32.0.1/', false],
    ['http://192.168.1.1/', true],
    ['http://169.254.169.254/', true],
    ['http://100.64.0.1/', true],
    ['http://0.0.0.0/', true],
    ['http://8.8.8.8/', false],
    ['http://224.0.0.251/', true],
    ['http://255.255.255.255/', true],
    ['http://198.18.0.1/', true],
    ['http://198.20.0.1/', false],
    ['http://[fec0::1]/', true],
    ['http://[ff02::1]/', true],
    ['http://localhost/', true],
    ['http://LOCALHOST./', true],
    ['http://admin.localhost/', true],
    ['http://[::1]/', true],
    ['http://[::]/', true],
    ['http://[fe80::1]/', true],
    ['http://[fd12:3456::1]/', true],
    ['http://[::ffff:127.0.0.1]/', true],
    ['http://[::ffff:8.8.8.8]/', false],
    ['http://[2001:db8::1]/', false],
    ['https://cfcr.example/', false],
    ['https://1.bp.blogspot.com/', false],
  ])('%s -> %s', (url, local) => {
    expect(isLocalHost(host(url))).toBe(local);
  });
});
