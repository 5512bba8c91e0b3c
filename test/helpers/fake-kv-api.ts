// FAKE: a loopback stand-in for the Cloudflare v4 REST API's Workers KV endpoints (not Cloudflare).
// It checks what the real API documents: Authorization: Bearer <token>, the JSON shapes of bulk
// write (PUT .../bulk: [{key, value, base64?, metadata?, expiration?, expiration_ttl?}], at most
// 10,000 pairs and 100 MB), bulk delete (POST .../bulk/delete: [key, ...]), list keys
// (GET .../keys?prefix&cursor&limit, paged by cursor) and read value (GET .../values/:key, raw
// bytes), and answers in the {success, errors, messages, result} envelope.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../../src/core/is-record.ts';

export interface FakeKvOptions {
  accountId: string;
  namespaceId: string;
  token: string;
  /** Keys per list page (the real API allows up to 1000; small pages exercise the cursor). */
  pageSize?: number;
}

export interface KvWrite {
  op: 'put' | 'delete';
  key: string;
}

export interface FakeKvApi {
  /** e.g. http://127.0.0.1:40123/client/v4 */
  apiBase: string;
  store: Map<string, { value: Uint8Array; metadata?: unknown }>;
  /** Every successful write and delete, in order. */
  log: KvWrite[];
  /** Answer the next bulk write that contains key with HTTP 500. */
  failNextWriteOf(key: string): void;
  requests: number;
  close(): Promise<void>;
}

const MAX_BULK = 10_000;
const MAX_BODY = 100 * 1000 * 1000;
const KEY_BYTES = 512;
const METADATA_BYTES = 1024;

export async function startFakeKvApi(opts: FakeKvOptions): Promise<FakeKvApi> {
  const store = new Map<string, { value: Uint8Array; metadata?: unknown }>();
  const log: KvWrite[] = [];
  const failing = new Set<string>();
  const pageSize = opts.pageSize ?? 1000;
  const base = `/client/v4/accounts/${opts.accountId}/storage/kv/namespaces/${opts.namespaceId}`;
  const api: FakeKvApi = {
    apiBase: '',
    store,
    log,
    requests: 0,
    failNextWriteOf: (key) => failing.add(key),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const envelope = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: status < 300, errors: [], messages: [], result: null, ...body }));
  };
  const error = (res: ServerResponse, status: number, code: number, message: string): void =>
    envelope(res, status, { errors: [{ code, message }] });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    api.requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers.authorization !== `Bearer ${opts.token}`) return error(res, 403, 10000, 'Authentication error');
    if (!url.pathname.startsWith(`${base}/`)) return error(res, 404, 10013, 'namespace not found');
    const rest = url.pathname.slice(base.length);
    const body = await readBody(req, MAX_BODY + 1);
    if (body.length > MAX_BODY) return error(res, 413, 10011, 'request body over 100 MB');

    if (req.method === 'PUT' && rest === '/bulk') {
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return error(res, 400, 10026, 'content-type must be application/json');
      const pairs = parseJson(body);
      if (!Array.isArray(pairs) || pairs.length > MAX_BULK) return error(res, 400, 10026, 'body must be an array of at most 10,000 pairs');
      const staged: [string, { value: Uint8Array; metadata?: unknown }][] = [];
      for (const p of pairs) {
        if (!isRecord(p) || typeof p.key !== 'string' || typeof p.value !== 'string')
          return error(res, 400, 10026, 'each pair needs key and value strings');
        for (const k of Object.keys(p)) {
          if (!['key', 'value', 'base64', 'metadata', 'expiration', 'expiration_ttl'].includes(k))
            return error(res, 400, 10026, `unknown field ${k}`);
        }
        if (Buffer.byteLength(p.key) > KEY_BYTES || p.key === '' || p.key === '.' || p.key === '..')
          return error(res, 400, 10019, 'invalid key name');
        if (p.base64 !== undefined && typeof p.base64 !== 'boolean') return error(res, 400, 10026, 'base64 must be a boolean');
        if (p.metadata !== undefined && JSON.stringify(p.metadata).length > METADATA_BYTES)
          return error(res, 400, 10028, 'metadata over 1024 bytes');
        let value: Uint8Array;
        if (p.base64 === true) {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.value) || p.value.length % 4 !== 0) return error(res, 400, 10026, 'value is not base64');
          value = new Uint8Array(Buffer.from(p.value, 'base64'));
        } else {
          value = new Uint8Array(Buffer.from(p.value, 'utf8'));
        }
        staged.push([p.key, p.metadata === undefined ? { value } : { value, metadata: p.metadata }]);
      }
      const failed = staged.find(([k]) => failing.has(k));
      if (failed !== undefined) {
        failing.delete(failed[0]);
        return error(res, 500, 10001, 'internal error (injected by the fake)');
      }
      for (const [k, v] of staged) {
        store.set(k, v);
        log.push({ op: 'put', key: k });
      }
      return envelope(res, 200, { result: { successful_key_count: staged.length, unsuccessful_keys: [] } });
    }

    if (req.method === 'POST' && rest === '/bulk/delete') {
      const keys = parseJson(body);
      if (!Array.isArray(keys) || keys.length > MAX_BULK || !keys.every((k) => typeof k === 'string')) {
        return error(res, 400, 10026, 'body must be an array of at most 10,000 key names');
      }
      for (const k of keys) {
        if (typeof k !== 'string') continue;
        store.delete(k);
        log.push({ op: 'delete', key: k });
      }
      return envelope(res, 200, { result: { successful_key_count: keys.length, unsuccessful_keys: [] } });
    }

    if (req.method === 'GET' && rest === '/keys') {
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      if (!Number.isInteger(limit) || limit < 10 || limit > 1000) return error(res, 400, 10026, 'limit must be 10..1000');
      const prefix = url.searchParams.get('prefix') ?? '';
      const names = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const page = names.slice(start, start + Math.min(limit, pageSize));
      const next = start + page.length < names.length ? String(start + page.length) : '';
      return envelope(res, 200, {
        result: page.map((name) => {
          const md = store.get(name)?.metadata;
          return md === undefined ? { name } : { name, metadata: md };
        }),
        result_info: { count: page.length, cursor: next },
      });
    }

    if (req.method === 'GET' && rest.startsWith('/values/')) {
      const key = decodeURIComponent(rest.slice('/values/'.length));
      const entry = store.get(key);
      if (entry === undefined) return error(res, 404, 10009, "get: 'key not found'");
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(entry.value);
      return;
    }
    return error(res, 405, 10000, `no route ${req.method ?? ''} ${rest}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => error(res, 500, 10001, String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  return api;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > max) break;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
