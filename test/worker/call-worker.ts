// Calls the Worker entry inside workerd as the runtime does (a Request, the env with these
// bindings over the test's, an execution context waited on), for the dashboard's Worker tests.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../src/worker/index.ts';

/** A Worker with a KV mirror and an http one, as the dashboard tests configure it. */
export const DASHBOARD_MIRRORS = JSON.stringify({
  mirrors: [
    { id: 'kv', kind: 'kv', prefix: 'snapshot', priority: 1 },
    { id: 'cdn', kind: 'http', url: 'https://cdn.example.net/', priority: 2 },
  ],
});

export function workerCaller(bindings: Partial<Cloudflare.Env>) {
  return async (
    path: string,
    init: RequestInit<IncomingRequestCfProperties> = {},
    vars: Partial<Cloudflare.Env> = {},
  ): Promise<Response> => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`https://blog.example.org${path}`, { redirect: 'manual', ...init }),
      { ...env, ...bindings, ...vars },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  };
}
