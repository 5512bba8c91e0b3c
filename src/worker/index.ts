// Cloudflare Workers entry: wires the Workers adapters (http, ipfs-gateway and kv mirrors; KV edge
// state; CompressionStream gzip, brotli left to Cloudflare) into the runtime-agnostic edge app.
// Config comes from vars: FERRY_MIRRORS (the mirrors file's JSON) and FERRY_PUBLIC_KEY (PEM or base64).
import { KeyError, decodeKey } from '../core/manifest.ts';
import { parseMirrorsConfig, validateMirrorsConfig } from '../core/mirrors-config.ts';
import { createKvEdgeState } from '../adapters/edge-state/kv-edge-state.ts';
import { createHttpMirror } from '../adapters/mirrors/http-mirror.ts';
import { createIpfsGatewayMirror } from '../adapters/mirrors/ipfs-gateway-mirror.ts';
import { createKvMirror } from '../adapters/mirrors/kv-mirror.ts';
import { createLimitedFetch } from '../adapters/web/limited-fetch.ts';
import { createEdge, type Edge } from '../edge/app.ts';
import type { LimitedFetch } from '../ports/fetch.ts';
import { createMirrors, type MirrorFactories } from '../ports/mirror.ts';
import { runHealthCron, workerHealthResponse } from './health-cron.ts';
import { workerDashboard } from './dashboard.ts';
import { workerPushResponse } from './view-push.ts';

export interface FerryEnv {
  FERRY_KV: KVNamespace;
  /** JSON text (or an object, when wrangler passes structured vars) in the mirrors file format. */
  FERRY_MIRRORS: unknown;
  FERRY_PUBLIC_KEY: string;
  /** The maintainers' dashboard token (a Worker secret, at least 32 characters); unset, only the public status is served. */
  FERRY_ADMIN_TOKEN?: string;
  /** Bearer token for GET /_ferry/health/worker (the Worker cron's probe results) and ferry serve's push (POST /_ferry/health/view); unset, both are off. */
  FERRY_HEALTH_TOKEN?: string;
}

interface WorkerMirrorDeps {
  fetch: LimitedFetch;
  kv: KVNamespace;
}

export const WORKER_MIRROR_FACTORIES: MirrorFactories<WorkerMirrorDeps> = {
  http: createHttpMirror,
  'ipfs-gateway': createIpfsGatewayMirror,
  kv: createKvMirror,
};

/** One edge per isolate and configuration: the pool's observations and the cache live here. */
let current: { config: unknown; key: string; kv: KVNamespace; admin: string | undefined; edge: Edge } | undefined;

export function edgeFor(env: FerryEnv): Edge {
  if (
    current &&
    current.config === env.FERRY_MIRRORS &&
    current.key === env.FERRY_PUBLIC_KEY &&
    current.kv === env.FERRY_KV &&
    current.admin === env.FERRY_ADMIN_TOKEN
  ) {
    return current.edge;
  }
  const kinds = Object.keys(WORKER_MIRROR_FACTORIES);
  const configs =
    typeof env.FERRY_MIRRORS === 'string'
      ? parseMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds)
      : validateMirrorsConfig(env.FERRY_MIRRORS, 'FERRY_MIRRORS', kinds);
  // The dashboard reads the edge it is mounted on: bound once the edge exists.
  const self: { edge?: Edge } = {};
  const dashboard = workerDashboard(env, {
    pool: { status: () => self.edge?.pool.status() ?? [] },
    reader: { current: () => self.edge?.reader.current() },
    exclude: (id, reason) => self.edge?.exclusions.exclude(id, reason),
    include: (id) => self.edge?.exclusions.include(id),
  });
  const edge = createEdge({
    mirrors: createMirrors(configs, WORKER_MIRROR_FACTORIES, { fetch: createLimitedFetch(), kv: env.FERRY_KV }),
    publicKey: publicKeyOf(env.FERRY_PUBLIC_KEY),
    store: createKvEdgeState(env.FERRY_KV),
    dashboard,
  });
  self.edge = edge;
  current = { config: env.FERRY_MIRRORS, key: env.FERRY_PUBLIC_KEY, kv: env.FERRY_KV, admin: env.FERRY_ADMIN_TOKEN, edge };
  return edge;
}

const HOW_TO_SET_KEY =
  'set it to the public key your manifests are signed with (the base64 line of ferry.pub, or its whole PEM): ' +
  'locally, `npm run dev:worker` writes it into .dev.vars from the local key; for a deployment, put it in wrangler.toml [vars]';

function publicKeyOf(value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.trim() === '') throw new KeyError(`FERRY_PUBLIC_KEY is not set; ${HOW_TO_SET_KEY}`);
  if (value.startsWith('REPLACE_WITH_')) {
    throw new KeyError(`FERRY_PUBLIC_KEY is still the placeholder "${value}" that wrangler.toml ships with; ${HOW_TO_SET_KEY}`);
  }
  return decodeKey(value, 'public', 'FERRY_PUBLIC_KEY');
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const health = await workerHealthResponse(request, env);
    if (health !== undefined) return health;
    const pushed = await workerPushResponse(request, env);
    if (pushed !== undefined) return pushed;
    let edge: Edge;
    try {
      edge = edgeFor(env);
    } catch (e) {
      // A configuration mistake: say what to fix (nothing secret is in these vars).
      return new Response(`Ferry edge is misconfigured: ${e instanceof Error ? e.message : String(e)}\n`, {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      });
    }
    return edge.app.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx): Promise<void> {
    ctx.waitUntil(edgeFor(env).reader.refresh());
    ctx.waitUntil(runHealthCron(env, { scheduledTime: controller.scheduledTime }));
  },
} satisfies ExportedHandler<FerryEnv>;
