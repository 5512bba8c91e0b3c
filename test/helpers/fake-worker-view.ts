// FAKE Worker push routes: stands in for a deployed Ferry Worker's POST /_ferry/health/view and POST /_ferry/health/requests/ack by running the Worker's own route code (src/edge/dashboard/push-routes.ts, with its shape check) and its own KV stores over a memory KV, on loopback; tested itself in workerd by test/worker/view-push.test.ts.
//
// It also answers GET /_ferry/health/worker (no cron results) with the same bearer check, as the
// Worker does, so ferry serve's pull finds the route. `kv` is what the Worker's KV would hold.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createKvEdgeRequestStore } from '../../src/adapters/dashboard/kv-edge-request-store.ts';
import { createKvMaintainerStore } from '../../src/adapters/dashboard/kv-maintainer-store.ts';
import { createKvPushedViewStore } from '../../src/adapters/dashboard/kv-pushed-view-store.ts';
import { createPushRoutes } from '../../src/edge/dashboard/push-routes.ts';
import type { EdgeRequestStore, PushedViewStore } from '../../src/ports/dashboard.ts';
import type { MaintainerStore } from '../../src/ports/maintainer-store.ts';

export interface FakeWorkerView {
  url: string;
  kv: Map<string, string>;
  views: PushedViewStore;
  requests: EdgeRequestStore;
  maintainer: MaintainerStore;
  /** Every push that arrived (status answered), in order. */
  pushes: number[];
  /** Answer this many next pushes with 503 (a Worker that is down for a while). */
  failNext: number;
  close(): Promise<void>;
}

export async function startFakeWorkerView(token: string): Promise<FakeWorkerView> {
  const kv = new Map<string, string>();
  const memoryKv = {
    get: async (key: string): Promise<string | null> => kv.get(key) ?? null,
    put: async (key: string, value: string): Promise<void> => void kv.set(key, value),
  };
  const views = createKvPushedViewStore(memoryKv);
  const requests = createKvEdgeRequestStore(memoryKv);
  const maintainer = createKvMaintainerStore(memoryKv);
  const routes = createPushRoutes({ token, views, requests, maintainer });
  const state: FakeWorkerView = { url: '', kv, views, requests, maintainer, pushes: [], failNext: 0, close: async () => undefined };
  const listener = getRequestListener(async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/_ferry/health/worker') {
      if (request.headers.get('authorization') !== `Bearer ${token}`) return Response.json({ error: 'unauthorized' }, { status: 401 });
      return Response.json({ vantage: { id: 'worker', kind: 'worker' }, lastRun: null, mirrors: [] });
    }
    if (path === '/_ferry/health/view' && state.failNext > 0) {
      state.failNext--;
      state.pushes.push(503);
      return new Response('worker down for the test\n', { status: 503 });
    }
    const res = await routes.fetch(request);
    if (path === '/_ferry/health/view') state.pushes.push(res.status);
    return res;
  });
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
