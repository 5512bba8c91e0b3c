// FAKE Worker health route: stands in for a deployed Ferry Worker's GET /_ferry/health/worker (src/worker/health-cron.ts, tested itself in workerd by test/worker/health-cron.test.ts), in the same JSON shape and with the same bearer-token check.
//
// Loopback node:http. `entries` is what the Worker's KV holds: per mirror, its results newest first.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeWorkerHealth {
  url: string;
  entries: { mirror: string; results: unknown[] }[];
  requests: number;
  close(): Promise<void>;
}

export async function startFakeWorkerHealth(token: string): Promise<FakeWorkerHealth> {
  const state: FakeWorkerHealth = { url: '', entries: [], requests: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    state.requests++;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/_ferry/health/worker') return send(404, { error: 'not found' });
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'send Authorization: Bearer <FERRY_HEALTH_TOKEN>' });
    send(200, { vantage: { id: 'worker', kind: 'worker' }, lastRun: { at: new Date().toISOString() }, mirrors: state.entries });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
