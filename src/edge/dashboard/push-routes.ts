// The Worker's side of ferry serve's push, as a Hono app over ports (the Worker wires KV in; the
// Node test's loopback stand-in wires the same code over a memory store):
// - POST /_ferry/health/view: ferry serve's dashboard view after a round, at most
//   MAX_PUSHED_VIEW_BYTES (413 beyond), checked strictly (400 says what is wrong), stored with the
//   time it arrived; the answer carries the maintainers' requests that wait for ferry serve.
// - POST /_ferry/health/requests/ack: ferry serve applied (or refused) those requests; each is
//   removed once and its result goes into the Worker's action history.
// Both need `Authorization: Bearer <FERRY_HEALTH_TOKEN>` (compared in constant time). No CORS, never cached.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { utf8ToString } from '../../core/bytes.ts';
import { withAction } from '../../core/maintainer-state.ts';
import type { EdgeRequestStore, PushedViewStore } from '../../ports/dashboard.ts';
import type { MaintainerStore } from '../../ports/maintainer-store.ts';
import { tokensEqual } from './auth.ts';
import { parseRequestResults } from '../../core/dashboard/edge-requests.ts';
import {
  MAX_PUSHED_VIEW_BYTES,
  REQUESTS_ACK_ROUTE,
  VIEW_PUSH_ROUTE,
  parsePushedView,
  ViewShapeError,
} from '../../core/dashboard/pushed-view.ts';

export { REQUESTS_ACK_ROUTE, VIEW_PUSH_ROUTE };

const MAX_ACK_BYTES = 16 * 1024;

export interface PushRoutesOptions {
  /** FERRY_HEALTH_TOKEN; unset or empty, both routes answer 404 saying how to turn them on. */
  token: string | undefined;
  views: PushedViewStore;
  requests: EdgeRequestStore;
  /** The Worker's action history (acknowledged requests are written there). */
  maintainer?: MaintainerStore;
  now?: () => Date;
}

export function createPushRoutes({ token, views, requests, maintainer, now = () => new Date() }: PushRoutesOptions): Hono {
  const app = new Hono();
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  const limit = (maxSize: number) =>
    bodyLimit({ maxSize, onError: () => json(413, { error: `the body is over the limit of ${maxSize} bytes` }) });
  const readJson = async (c: Context): Promise<unknown> => {
    try {
      return JSON.parse(utf8ToString(new Uint8Array(await c.req.arrayBuffer()), 'the body')) as unknown;
    } catch {
      throw new ViewShapeError('the body is not JSON');
    }
  };

  app.use('*', async (c, next) => {
    if (token === undefined || token === '') {
      return json(404, {
        error: 'the push route is off; set the FERRY_HEALTH_TOKEN secret (npx wrangler secret put FERRY_HEALTH_TOKEN) to turn it on',
      });
    }
    if (c.req.method !== 'POST') return json(405, { error: 'use POST' });
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!(await tokensEqual(given, token))) return json(401, { error: 'send Authorization: Bearer <FERRY_HEALTH_TOKEN>' });
    await next();
    return undefined;
  });

  app.post(VIEW_PUSH_ROUTE, limit(MAX_PUSHED_VIEW_BYTES), async (c) => {
    let pushed;
    try {
      pushed = parsePushedView(await readJson(c));
    } catch (e) {
      if (e instanceof ViewShapeError) return json(400, { error: `not a Ferry dashboard view: ${e.message}` });
      throw e;
    }
    const receivedAt = now().toISOString();
    await views.save({ receivedAt, pushed });
    return json(200, { ok: true, receivedAt, requests: await requests.pending() });
  });

  app.post(REQUESTS_ACK_ROUTE, limit(MAX_ACK_BYTES), async (c) => {
    let results;
    try {
      results = parseRequestResults(await readJson(c));
    } catch (e) {
      if (e instanceof ViewShapeError) return json(400, { error: `not an acknowledgement: ${e.message}` });
      throw e;
    }
    const removed = await requests.acknowledge(results.map((r) => r.id));
    if (maintainer !== undefined && removed.length > 0) {
      const at = now().toISOString();
      await maintainer.update((s) =>
        removed.reduce((state, r) => {
          const result = results.find((x) => x.id === r.id);
          return withAction(state, {
            at,
            who: `ferry serve (asked by ${r.who})`,
            action: `${r.kind} ${r.mirror}`,
            result: `${result?.ok === true ? 'applied' : 'refused'} by ferry serve: ${result?.message ?? ''}`,
          });
        }, s),
      );
    }
    return json(200, { acknowledged: removed.map((r) => r.id) });
  });

  app.all('*', () => json(405, { error: 'use POST' }));
  return app;
}
