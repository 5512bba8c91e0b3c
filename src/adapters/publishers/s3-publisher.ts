// `s3` target: any S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO, Garage) that a
// static site is served from. Requests are signed with SigV4 by aws4fetch (tiny, no dependencies),
// with the payload's sha256 signed (x-amz-content-sha256) and Content-MD5 sent so the bucket checks
// every byte. ListObjectsV2 says what is there: a single-part upload's ETag is the MD5 of its bytes,
// so only files whose MD5 differs are uploaded. The MD5 of each snapshot file is remembered by its
// sha256 (in memory, and in md5CacheFile when configured), so a republish reads from the snapshot
// only files it has not seen before: the changed ones. Content first, manifest.json and its signature last,
// then stale keys go in DeleteObjects batches of 1,000. Credentials come from the environment
// variables the config names; they are never stored or logged.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { signS3Request } from './s3-sign.ts';
import { XMLParser } from 'fast-xml-parser';
import { MANIFEST_PATH, SIGNATURE_PATH, isSafeSnapshotPath } from '../../core/manifest.ts';
import { planPublish } from '../../core/publish-plan.ts';
import { contentTypeFor } from '../../core/content-type.ts';
import { isRecord } from '../../core/is-record.ts';
import { FetchError } from '../../ports/fetch.ts';
import { PublishError, type PublishOperation, type PublishTarget } from '../../ports/publisher.ts';
import { createHttpCall, excerpt, type HttpCall, type HttpResponse } from '../web/http-call.ts';
import { checkSnapshot, forEachLimited, parseHeldManifest } from './snapshot-files.ts';

export interface S3TargetConfig {
  id: string;
  /** e.g. https://s3.eu-central-1.amazonaws.com or https://<account>.r2.cloudflarestorage.com */
  endpoint: string;
  bucket: string;
  /** SigV4 region ('auto' for R2). Default us-east-1. */
  region?: string;
  /** Key prefix ('' or e.g. 'blog/'); key = prefix + path without its leading slash. */
  prefix?: string;
  accessKeyIdEnv: string;
  secretAccessKeyEnv: string;
  sessionTokenEnv?: string;
  /** 'path' (endpoint/bucket/key, works everywhere) or 'virtual' (bucket.endpoint/key). */
  addressing?: 'path' | 'virtual';
  cacheControl?: string;
  timeoutMs?: number;
  concurrency?: number;
  /**
   * Where the MD5s of published files are remembered by sha256 (Ferry's data folder), so a new
   * process need not read every snapshot file to compare with the bucket's ETags.
   */
  md5CacheFile?: string;
}

export interface S3PublisherDeps {
  http?: HttpCall;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const DELETE_BATCH = 1000;

export function createS3Publisher(config: S3TargetConfig, deps: S3PublisherDeps = {}): PublishTarget {
  const md5s = createMd5Memory(config.md5CacheFile);
  const http = deps.http ?? createHttpCall();
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const region = config.region ?? 'us-east-1';
  const prefix = config.prefix ?? '';
  const timeoutMs = config.timeoutMs ?? 60_000;
  const endpoint = new URL(config.endpoint);
  const bucketBase =
    config.addressing === 'virtual'
      ? `${endpoint.protocol}//${config.bucket}.${endpoint.host}`
      : `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, '')}/${uriEncode(config.bucket)}`;
  const keyOf = (path: string): string => prefix + path.slice(1);
  const objectUrl = (path: string): string => `${bucketBase}/${keyOf(path).split('/').map(uriEncode).join('/')}`;
  const fail = (op: PublishOperation, detail: string, path?: string): PublishError => new PublishError(config.id, op, detail, path);
  const xml = new XMLParser({ isArray: (name) => name === 'Contents' || name === 'Error', parseTagValue: false });

  const credentials = (): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } => {
    const need = (name: string): string => {
      const v = env[name]?.trim();
      if (v === undefined || v === '') {
        throw fail(
          'config',
          `environment variable ${name} is not set; export the bucket's access key id and secret under ${config.accessKeyIdEnv} and ${config.secretAccessKeyEnv}`,
        );
      }
      return v;
    };
    const out: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = {
      accessKeyId: need(config.accessKeyIdEnv),
      secretAccessKey: need(config.secretAccessKeyEnv),
    };
    if (config.sessionTokenEnv !== undefined) out.sessionToken = need(config.sessionTokenEnv);
    return out;
  };

  const request = async (
    op: PublishOperation,
    what: string,
    url: string,
    init: { method: 'GET' | 'PUT' | 'POST'; body?: Uint8Array; headers?: Record<string, string>; signal?: AbortSignal | undefined },
    path?: string,
  ): Promise<HttpResponse> => {
    const headers = await signS3Request({
      method: init.method,
      url,
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
      credentials: credentials(),
      region,
      now: now(),
    });
    try {
      return await http(url, { method: init.method, headers, body: init.body, signal: init.signal, timeoutMs, maxBytes: MAX_ANSWER_BYTES });
    } catch (e) {
      throw fail(
        op,
        `${what}: ${e instanceof FetchError ? e.message : String(e)}; check the network and the endpoint ${config.endpoint}`,
        path,
      );
    }
  };

  const requireOk = (op: PublishOperation, what: string, res: HttpResponse, path?: string): void => {
    if (res.status >= 200 && res.status < 300) return;
    const parsed = parseXml(res.body);
    // <Error> is parsed as a list (DeleteResult has many); a failed request's body has one.
    const top: unknown = isRecord(parsed) ? (Array.isArray(parsed.Error) ? parsed.Error[0] : parsed.Error) : undefined;
    const err = isRecord(top) ? top : undefined;
    const code = err !== undefined ? String(err.Code) : '';
    const message = err !== undefined ? String(err.Message) : excerpt(res.body);
    throw fail(op, `${what}: HTTP ${res.status} ${code} (${message}); ${fixFor(res.status, code, config, region)}`, path);
  };

  function parseXml(body: Uint8Array): unknown {
    try {
      return xml.parse(new TextDecoder().decode(body));
    } catch {
      return undefined;
    }
  }

  /** path -> MD5 hex of what the bucket holds (from the ETag), undefined when the ETag is not an MD5. */
  const listHeld = async (signal?: AbortSignal): Promise<Map<string, string | undefined>> => {
    const have = new Map<string, string | undefined>();
    let token: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const q = new URLSearchParams({ 'list-type': '2', 'max-keys': '1000' });
      if (prefix !== '') q.set('prefix', prefix);
      if (token !== undefined) q.set('continuation-token', token);
      const url = `${bucketBase}?${q.toString().replace(/\+/g, '%20')}`;
      const res = await request('list', 'ListObjectsV2', url, { method: 'GET', signal });
      requireOk('list', 'ListObjectsV2', res);
      const parsed = parseXml(res.body);
      const result = isRecord(parsed) ? parsed.ListBucketResult : undefined;
      if (!isRecord(result))
        throw fail('list', `ListObjectsV2: answer is not a ListBucketResult (${excerpt(res.body)}); check the endpoint`);
      const contents = Array.isArray(result.Contents) ? result.Contents : [];
      for (const item of contents) {
        if (!isRecord(item) || typeof item.Key !== 'string' || !item.Key.startsWith(prefix)) continue;
        const path = `/${item.Key.slice(prefix.length)}`;
        if (!isSafeSnapshotPath(path)) continue;
        const etag = (typeof item.ETag === 'string' ? item.ETag : '').replace(/"/g, '').toLowerCase();
        have.set(path, /^[0-9a-f]{32}$/.test(etag) ? etag : undefined);
      }
      if (String(result.IsTruncated) !== 'true') return have;
      const next = result.NextContinuationToken;
      if (typeof next !== 'string' || next === '') throw fail('list', 'ListObjectsV2: truncated answer without NextContinuationToken');
      token = next;
    }
    throw fail('list', 'ListObjectsV2 never ended; check the endpoint');
  };

  return {
    id: config.id,
    kind: 's3',
    async current(signal) {
      const res = await request('read', 'GetObject manifest.json', objectUrl(MANIFEST_PATH), { method: 'GET', signal }, MANIFEST_PATH);
      if (res.status === 404) return undefined;
      requireOk('read', 'GetObject manifest.json', res, MANIFEST_PATH);
      return parseHeldManifest(config.id, res.body);
    },
    async publish(files, options = {}) {
      const { signal, onProgress } = options;
      const checked = await checkSnapshot(config.id, files, signal);
      credentials();
      // MD5 of every snapshot file, to compare with the ETags: remembered, or read (and checked) now.
      const known = await md5s.load();
      const md5 = new Map<string, string>();
      const unknown: string[] = [];
      for (const [path, entry] of checked.entries) {
        const m = known.get(md5Key(entry.sha256, entry.size));
        if (m === undefined) unknown.push(path);
        else md5.set(path, m);
      }
      const readNow = new Map<string, Uint8Array>();
      await forEachLimited(
        unknown,
        16,
        async (path) => {
          const data = await checked.read(path, signal);
          const m = createHash('md5').update(data).digest('hex');
          md5.set(path, m);
          known.set(md5Key(checked.sha256.get(path) ?? '', data.byteLength), m);
          readNow.set(path, data);
        },
        signal,
      );
      const current = new Set([...checked.entries.values()].map((e) => md5Key(e.sha256, e.size)));
      await md5s
        .save(new Map([...known].filter(([k]) => current.has(k))))
        .catch((e: unknown) => onProgress?.(`could not save the MD5 cache: ${(e as Error).message}`));
      const plan = planPublish(md5, await listHeld(signal));
      const toUpload = new Set(plan.upload);
      for (const path of readNow.keys()) if (!toUpload.has(path)) readNow.delete(path);
      onProgress?.(`${plan.upload.length} objects to upload, ${plan.delete.length} to delete, ${plan.unchanged.length} unchanged`);
      let bytes = 0;
      let done = 0;
      const put = async (path: string): Promise<void> => {
        const body = readNow.get(path) ?? (await checked.read(path, signal));
        readNow.delete(path);
        const headers: Record<string, string> = { 'content-type': contentTypeFor(path) };
        if (config.cacheControl !== undefined) headers['cache-control'] = config.cacheControl;
        const res = await request('upload', 'PutObject', objectUrl(path), { method: 'PUT', body, headers, signal }, path);
        requireOk('upload', 'PutObject', res, path);
        bytes += body.length;
        done++;
        if (done % 100 === 0) onProgress?.(`uploaded ${done}/${plan.upload.length} objects`);
      };
      const content = plan.upload.filter((p) => p !== MANIFEST_PATH && p !== SIGNATURE_PATH);
      await forEachLimited(content, config.concurrency ?? 8, put, signal);
      for (const p of plan.upload.filter((x) => x === MANIFEST_PATH || x === SIGNATURE_PATH)) await put(p);
      for (let i = 0; i < plan.delete.length; i += DELETE_BATCH) {
        const keys = plan.delete.slice(i, i + DELETE_BATCH).map(keyOf);
        const body = new TextEncoder().encode(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')}</Delete>`,
        );
        const what = `DeleteObjects (${keys.length} keys)`;
        const res = await request('delete', what, `${bucketBase}?delete=`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/xml' },
          signal,
        });
        requireOk('delete', what, res);
        const parsed = parseXml(res.body);
        const result = isRecord(parsed) ? parsed.DeleteResult : undefined;
        const errors = isRecord(result) && Array.isArray(result.Error) ? result.Error : [];
        if (errors.length > 0) {
          const first: unknown = errors[0];
          const detail = isRecord(first) ? `${String(first.Key)}: ${String(first.Code)} ${String(first.Message)}` : 'unknown';
          throw fail('delete', `${errors.length} keys were not deleted (first ${detail}); check the key's s3:DeleteObject permission`);
        }
      }
      onProgress?.(`uploaded ${plan.upload.length} objects (${bytes} bytes), deleted ${plan.delete.length}`);
      return { uploaded: plan.upload.length, deleted: plan.delete.length, unchanged: plan.unchanged.length, bytes };
    },
  };
}

const md5Key = (sha256: string, size: number): string => `${sha256}:${size}`;
const MD5_CACHE_FORMAT = 'ferry-s3-md5/1';

/** MD5s by `${sha256}:${size}`, kept in memory and, when given a file, there too (atomically replaced). */
function createMd5Memory(file: string | undefined): {
  load(): Promise<Map<string, string>>;
  save(md5s: Map<string, string>): Promise<void>;
} {
  let memory: Map<string, string> | undefined;
  return {
    async load() {
      if (memory !== undefined) return memory;
      memory = new Map();
      if (file === undefined) return memory;
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        return memory; // missing or damaged: every file is read once
      }
      if (!isRecord(raw) || raw.format !== MD5_CACHE_FORMAT || !isRecord(raw.md5)) return memory;
      for (const [key, value] of Object.entries(raw.md5)) {
        if (/^[0-9a-f]{64}:\d+$/.test(key) && typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)) memory.set(key, value);
      }
      return memory;
    },
    async save(md5s) {
      memory = md5s;
      if (file === undefined) return;
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await writeFile(tmp, JSON.stringify({ format: MD5_CACHE_FORMAT, md5: Object.fromEntries(md5s) }), { flag: 'wx' });
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
  };
}

function fixFor(status: number, code: string, config: S3TargetConfig, region: string): string {
  if (code === 'SignatureDoesNotMatch' || code === 'InvalidAccessKeyId' || code === 'AuthorizationHeaderMalformed') {
    return `check ${config.accessKeyIdEnv} / ${config.secretAccessKeyEnv} and region '${region}'`;
  }
  if (code === 'RequestTimeTooSkewed') return "fix this machine's clock";
  if (status === 403) return `give the key s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on bucket ${config.bucket}`;
  if (status === 404) return `check bucket '${config.bucket}' and endpoint ${config.endpoint}`;
  if (status >= 500) return 'the storage service had an internal error; the next run retries';
  return 'check the target config';
}

function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
