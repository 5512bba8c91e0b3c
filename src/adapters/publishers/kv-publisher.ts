// `kv` target: a Workers KV namespace written through the Cloudflare v4 REST API (what the edge's
// kv mirror then reads with its binding): key = prefix + snapshot path. Each value carries
// metadata {sha256, size}, so listing the keys tells exactly what is there and only changed files
// are sent. Writes go in bulk requests within the API's limits (10,000 pairs, 100 MB), content
// first, then manifest.json and its signature, then stale keys are deleted in bulk.
// The API token comes from the environment variable the config names; it is never stored or logged.
import { toBase64, utf8ToString } from '../../core/bytes.ts';
import { isRecord } from '../../core/is-record.ts';
import { MANIFEST_PATH, SIGNATURE_PATH, isSafeSnapshotPath } from '../../core/manifest.ts';
import { planPublish } from '../../core/publish-plan.ts';
import { FetchError } from '../../ports/fetch.ts';
import { PublishError, type PublishOperation, type PublishTarget } from '../../ports/publisher.ts';
import { createHttpCall, excerpt, type HttpCall, type HttpResponse } from '../web/http-call.ts';
import { checkSnapshot, parseHeldManifest } from './snapshot-files.ts';

export interface KvTargetConfig {
  id: string;
  accountId: string;
  namespaceId: string;
  /** Name of the environment variable holding an API token with "Workers KV Storage Write". */
  tokenEnv: string;
  /** Key prefix, as the edge's kv mirror uses it ('' or e.g. 'blog:'). */
  prefix?: string;
  /** Default https://api.cloudflare.com/client/v4 */
  apiBase?: string;
  /** Deadline per API request. */
  timeoutMs?: number;
}

export interface KvPublisherDeps {
  http?: HttpCall;
  env?: Readonly<Record<string, string | undefined>>;
  /** Bulk limits (the API's documented ones by default). */
  maxBatchKeys?: number;
  maxBatchBytes?: number;
}

export const KV_API_BASE = 'https://api.cloudflare.com/client/v4';
const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

interface Pair {
  key: string;
  value: string;
  base64: true;
  metadata: { sha256: string; size: number };
}

export function createKvPublisher(config: KvTargetConfig, deps: KvPublisherDeps = {}): PublishTarget {
  const http = deps.http ?? createHttpCall();
  const env = deps.env ?? process.env;
  const maxKeys = deps.maxBatchKeys ?? 10_000;
  const maxBytes = deps.maxBatchBytes ?? 100 * 1000 * 1000 - 64 * 1024;
  const prefix = config.prefix ?? '';
  const timeoutMs = config.timeoutMs ?? 60_000;
  const ns = `${(config.apiBase ?? KV_API_BASE).replace(/\/+$/, '')}/accounts/${encodeURIComponent(config.accountId)}/storage/kv/namespaces/${encodeURIComponent(config.namespaceId)}`;
  const fail = (op: PublishOperation, detail: string, path?: string): PublishError => new PublishError(config.id, op, detail, path);

  const token = (): string => {
    const value = env[config.tokenEnv];
    if (value === undefined || value.trim() === '') {
      throw fail(
        'config',
        `environment variable ${config.tokenEnv} is not set; export a Cloudflare API token with "Workers KV Storage Write" permission under that name`,
      );
    }
    return value.trim();
  };

  const call = async (
    op: PublishOperation,
    what: string,
    url: string,
    init: { method: 'GET' | 'PUT' | 'POST'; body?: string; signal?: AbortSignal | undefined },
    path?: string,
  ): Promise<HttpResponse> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token()}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await http(url, { method: init.method, headers, body: init.body, signal: init.signal, timeoutMs, maxBytes: MAX_ANSWER_BYTES });
    } catch (e) {
      const why = e instanceof FetchError ? e.message : String(e);
      throw fail(op, `${what}: ${why}; check the network and config.apiBase`, path);
    }
  };

  /** Parse the {success, errors, messages, result} envelope; throw a named error unless success. */
  const envelope = (op: PublishOperation, what: string, res: HttpResponse, path?: string): Record<string, unknown> => {
    let raw: unknown;
    try {
      raw = JSON.parse(utf8ToString(res.body, 'API answer'));
    } catch {
      raw = undefined;
    }
    if (!isRecord(raw) || typeof raw.success !== 'boolean') {
      throw fail(op, `${what}: HTTP ${res.status}, not a Cloudflare API answer (${excerpt(res.body)}); check config.apiBase`, path);
    }
    if (!raw.success || res.status < 200 || res.status > 299) {
      const errors = Array.isArray(raw.errors)
        ? raw.errors.map((x) => (isRecord(x) ? `${String(x.code)} ${String(x.message)}` : String(x))).join('; ')
        : '';
      throw fail(op, `${what}: HTTP ${res.status} (${errors || 'no error detail'}); ${fixFor(res.status, config)}`, path);
    }
    return raw;
  };

  const listHeld = async (signal?: AbortSignal): Promise<Map<string, string | undefined>> => {
    const have = new Map<string, string | undefined>();
    let cursor = '';
    for (let page = 0; page < 100_000; page++) {
      const q = new URLSearchParams({ limit: '1000' });
      if (prefix !== '') q.set('prefix', prefix);
      if (cursor !== '') q.set('cursor', cursor);
      const res = await call('list', 'list keys', `${ns}/keys?${q.toString()}`, { method: 'GET', signal });
      const body = envelope('list', 'list keys', res);
      if (!Array.isArray(body.result)) throw fail('list', 'list keys: answer has no result list; check config.apiBase');
      for (const item of body.result) {
        if (!isRecord(item) || typeof item.name !== 'string' || !item.name.startsWith(prefix)) continue;
        const path = item.name.slice(prefix.length);
        if (!isSafeSnapshotPath(path)) continue;
        const md = item.metadata;
        have.set(path, isRecord(md) && typeof md.sha256 === 'string' ? md.sha256 : undefined);
      }
      const info = body.result_info;
      cursor = isRecord(info) && typeof info.cursor === 'string' ? info.cursor : '';
      if (cursor === '') return have;
    }
    throw fail('list', 'list keys never ended (cursor loop); check config.apiBase');
  };

  const writeBatch = async (pairs: Pair[], signal?: AbortSignal): Promise<void> => {
    const first = pairs[0]?.key.slice(prefix.length) ?? '';
    const last = pairs[pairs.length - 1]?.key.slice(prefix.length) ?? '';
    const label = pairs.length === 1 ? first : `${pairs.length} keys ${first} .. ${last}`;
    const what = `bulk write of ${label}`;
    const res = await call(
      'upload',
      what,
      `${ns}/bulk`,
      { method: 'PUT', body: JSON.stringify(pairs), signal },
      pairs.length === 1 ? first : undefined,
    );
    const body = envelope('upload', what, res);
    const result = body.result;
    if (isRecord(result) && Array.isArray(result.unsuccessful_keys) && result.unsuccessful_keys.length > 0) {
      const keys = result.unsuccessful_keys.map(String);
      throw fail('upload', `KV did not store ${keys.length} keys (${keys.slice(0, 5).join(', ')}); run the publish again`);
    }
  };

  return {
    id: config.id,
    kind: 'kv',
    async current(signal) {
      const res = await call(
        'read',
        'read manifest.json',
        `${ns}/values/${encodeURIComponent(prefix + MANIFEST_PATH)}`,
        { method: 'GET', signal },
        MANIFEST_PATH,
      );
      if (res.status === 404) return undefined;
      if (res.status !== 200) envelope('read', 'read manifest.json', res, MANIFEST_PATH);
      return parseHeldManifest(config.id, res.body);
    },
    async publish(files, options = {}) {
      const { signal, onProgress } = options;
      const checked = await checkSnapshot(config.id, files, signal);
      token();
      const have = await listHeld(signal);
      const plan = planPublish(checked.sha256, have);
      onProgress?.(`${plan.upload.length} keys to write, ${plan.delete.length} to delete, ${plan.unchanged.length} unchanged`);
      // Only the keys to write are read from the snapshot (and checked against the manifest then).
      const pairOf = async (path: string): Promise<Pair> => {
        const bytes = await checked.read(path, signal);
        if (bytes.length > KV_MAX_VALUE_BYTES) {
          throw fail('upload', `${bytes.length} bytes is over the KV value limit of 25 MiB; keep such files on another target`, path);
        }
        return {
          key: prefix + path,
          value: toBase64(bytes),
          base64: true,
          metadata: { sha256: checked.sha256.get(path) ?? '', size: bytes.length },
        };
      };
      const content = plan.upload.filter((p) => p !== MANIFEST_PATH && p !== SIGNATURE_PATH);
      const last = plan.upload.filter((p) => p === MANIFEST_PATH || p === SIGNATURE_PATH);
      let bytes = 0;
      let batch: Pair[] = [];
      let batchBytes = 2;
      let sent = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await writeBatch(batch, signal);
        sent += batch.length;
        onProgress?.(`wrote ${sent}/${plan.upload.length} keys`);
        batch = [];
        batchBytes = 2;
      };
      for (const path of content) {
        const pair = await pairOf(path);
        const size = new TextEncoder().encode(JSON.stringify(pair)).length + 1;
        if (batch.length > 0 && (batch.length >= maxKeys || batchBytes + size > maxBytes)) await flush();
        batch.push(pair);
        batchBytes += size;
        bytes += pair.metadata.size;
      }
      await flush();
      // After every file they list: the signature file (new and previous signatures), then the
      // manifest, each in its own request (a bulk write is not atomic across keys).
      for (const path of last) {
        batch = [await pairOf(path)];
        bytes += batch.reduce((n, p) => n + p.metadata.size, 0);
        await flush();
      }
      for (let i = 0; i < plan.delete.length; i += maxKeys) {
        const keys = plan.delete.slice(i, i + maxKeys).map((p) => prefix + p);
        const what = `bulk delete of ${keys.length} keys`;
        const res = await call('delete', what, `${ns}/bulk/delete`, { method: 'POST', body: JSON.stringify(keys), signal });
        envelope('delete', what, res);
      }
      onProgress?.(`deleted ${plan.delete.length} stale keys`);
      return { uploaded: plan.upload.length, deleted: plan.delete.length, unchanged: plan.unchanged.length, bytes };
    },
  };
}

function fixFor(status: number, config: KvTargetConfig): string {
  if (status === 401 || status === 403)
    return `check that ${config.tokenEnv} holds a token with "Workers KV Storage Write" on account ${config.accountId}`;
  if (status === 404) return `check accountId and namespaceId (${config.namespaceId}) in the target config`;
  if (status === 429) return 'rate limited by Cloudflare; the next scheduled run retries';
  if (status >= 500) return 'Cloudflare had an internal error; the next run retries';
  return 'check the target config';
}
