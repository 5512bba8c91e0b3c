// The one HTTP helper every adapter uses: deadline over the whole exchange, the caller's abort,
// a capped body (refused early on Content-Length), HEAD without a body, and redirects refused
// unless a policy follows them. Against a real loopback server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpCall } from '../../src/adapters/web/http-call.ts';
import { FetchError } from '../../src/ports/fetch.ts';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], body: Buffer.concat(chunks).toString() }));
      });
      return;
    }
    if (req.url === '/moved') return void res.writeHead(302, { location: '/echo' }).end('moved');
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': '5000' });
      res.write('x'.repeat(100));
      return; // the rest never comes: a refusal must not wait for it
    }
    if (req.url === '/slow-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      return; // headers and part of the body, then nothing
    }
    if (req.url === '/object') return void res.writeHead(200, { 'content-length': '999999' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

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

const http = createHttpCall();
const limits = { timeoutMs: 2000, maxBytes: 1024 };

describe('http call', () => {
  it('sends method, headers and body, and returns status, headers and the body', async () => {
    const res = await http(`${base}/echo`, { ...limits, method: 'POST', headers: { 'content-type': 'text/x-test' }, body: 'hello' });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/echo`);
    expect(JSON.parse(new TextDecoder().decode(res.body))).toEqual({ method: 'POST', type: 'text/x-test', body: 'hello' });
  });

  it('refuses a redirect without a policy, and follows it with one', async () => {
    const refused = await failure(http(`${base}/moved`, limits));
    expect(refused).toMatchObject({ problem: 'redirect', url: `${base}/moved`, status: 302 });
    expect(refused.message).toBe(`${base}/moved: answered HTTP 302 to /echo; redirects are not followed here`);
    const followed = await http(`${base}/moved`, { ...limits, redirects: { max: 1 } });
    expect(followed).toMatchObject({ status: 200, url: `${base}/echo` });
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    const error = await failure(http(`${base}/big`, { ...limits, timeoutMs: 5000 }));
    expect(error).toMatchObject({ problem: 'too-large', detail: 'body of 5000 bytes is over the limit of 1024' });
  });

  it('the deadline covers the body, and a cancel is told apart from it', async () => {
    const started = Date.now();
    const late = await failure(http(`${base}/slow-body`, { ...limits, timeoutMs: 200 }));
    expect(late).toMatchObject({ problem: 'timeout', detail: 'no complete answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(1500);
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    const cancelled = await failure(http(`${base}/slow-body`, { ...limits, timeoutMs: 5000, signal: c.signal }));
    expect(cancelled).toMatchObject({ problem: 'aborted', detail: 'request was cancelled' });
  });

  it('reads no body for HEAD (its Content-Length describes the object)', async () => {
    const res = await http(`${base}/object`, { ...limits, method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body.byteLength).toBe(0);
  });

  it('names a bad URL and a refused connection', async () => {
    expect(await failure(http('not a url', limits))).toMatchObject({ problem: 'bad-url', url: 'not a url' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await failure(http(`http://127.0.0.1:${port}/`, limits));
    expect(refused).toMatchObject({ problem: 'unreachable', detail: 'cannot connect (ECONNREFUSED)' });
  });
});
