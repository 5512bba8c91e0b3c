// ferry serve's push to the Worker (POST /_ferry/health/view, POST /_ferry/health/requests/ack;
// see src/edge/dashboard/push-routes.ts) wired to KV: the pushed view, the requests that wait for
// ferry serve and the maintainers' history. Bearer FERRY_HEALTH_TOKEN, the same secret as the
// Worker health route; answered before the edge, so a misconfigured edge does not stop it.
import { createKvEdgeRequestStore } from '../adapters/dashboard/kv-edge-request-store.ts';
import { createKvMaintainerStore } from '../adapters/dashboard/kv-maintainer-store.ts';
import { createKvPushedViewStore } from '../adapters/dashboard/kv-pushed-view-store.ts';
import { createPushRoutes, REQUESTS_ACK_ROUTE, VIEW_PUSH_ROUTE } from '../edge/dashboard/push-routes.ts';

export interface ViewPushEnv {
  FERRY_KV: KVNamespace;
  FERRY_HEALTH_TOKEN?: string;
}

/** The answer for the push routes, or undefined for any other path. */
export async function workerPushResponse(request: Request, env: ViewPushEnv): Promise<Response | undefined> {
  const path = new URL(request.url).pathname;
  if (path !== VIEW_PUSH_ROUTE && path !== REQUESTS_ACK_ROUTE) return undefined;
  const app = createPushRoutes({
    token: env.FERRY_HEALTH_TOKEN,
    views: createKvPushedViewStore(env.FERRY_KV),
    requests: createKvEdgeRequestStore(env.FERRY_KV),
    maintainer: createKvMaintainerStore(env.FERRY_KV),
  });
  return app.fetch(request);
}
