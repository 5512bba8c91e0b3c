// FAKE: a loopback stand-in for an S3-compatible bucket (no MinIO or other S3 server installs here
// from Debian or npm without a heavy, unmaintained tree). It checks the real protocol's shapes:
// every request's SigV4 Authorization header is recomputed from the request as received (canonical
// URI, query, signed headers, x-amz-content-sha256 matching the body), Content-MD5 when sent (and
// required for DeleteObjects), path-style PutObject / GetObject / DeleteObject, ListObjectsV2 XML
// (paged by continuation token) and DeleteObjects XML. verifySigV4 is checked against AWS's
// published examples in publishers.test.ts. Like Filebase, a PutObject with `x-amz-meta-import: car`
// imports the CAR (every block rehashed, the DAG complete) and HeadObject answers its root in
// `x-amz-meta-cid`; a CAR that does not verify is refused.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { CarReader } from '@ipld/car';
import { verifyCar } from '../../src/adapters/ipfs/car.ts';
import { isRecord } from '../../src/core/is-record.ts';

export interface FakeS3Options {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Keys per ListObjectsV2 page (small pages exercise the continuation token). */
  pageSize?: number;
  now?: () => Date;
}

export interface S3Write {
  op: 'put' | 'delete';
  key: string;
}

export interface FakeS3 {
  endpoint: string;
  objects: Map<string, { body: Uint8Array; contentType: string; etag: string; cid?: string }>;
  log: S3Write[];
  failNextWriteOf(key: string): void;
  close(): Promise<void>;
}

export interface SignedRequestParts {
  method: string;
  /** Path and query exactly as sent (req.url). */
  rawUrl: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
}

/** Recompute a SigV4 (header) signature; returns an error code and message, or undefined if it verifies. */
export function verifySigV4(
  req: SignedRequestParts,
  creds: { accessKeyId: string; secretAccessKey: string; region: string },
  now: Date,
): { code: string; message: string } | undefined {
  const header = (name: string): string => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : (v ?? '');
  };
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      header('authorization'),
    );
  if (m === null)
    return {
      code: 'AuthorizationHeaderMalformed',
      message: 'Authorization is not AWS4-HMAC-SHA256 Credential=.../s3/aws4_request, SignedHeaders=..., Signature=...',
    };
  const [, akid, day, region, signedList = '', signature] = m;
  if (akid !== creds.accessKeyId) return { code: 'InvalidAccessKeyId', message: 'unknown access key' };
  if (region !== creds.region)
    return { code: 'AuthorizationHeaderMalformed', message: `region ${region ?? ''} is wrong; expecting ${creds.region}` };
  const amzDate = header('x-amz-date');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day)
    return { code: 'AccessDenied', message: 'x-amz-date missing or not the credential date' };
  const when = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(when - now.getTime()) > 15 * 60_000)
    return { code: 'RequestTimeTooSkewed', message: 'request time too far from server time' };
  const signed = signedList.split(';');
  for (const must of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!signed.includes(must)) return { code: 'AccessDenied', message: `${must} must be a signed header` };
  }
  const payloadHash = header('x-amz-content-sha256');
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(payloadHash))
      return { code: 'InvalidArgument', message: 'x-amz-content-sha256 must be hex sha256 or UNSIGNED-PAYLOAD' };
    if (createHash('sha256').update(req.body).digest('hex') !== payloadHash) {
      return { code: 'XAmzContentSHA256Mismatch', message: 'the body does not match x-amz-content-sha256' };
    }
  }
  const q = req.rawUrl.indexOf('?');
  const rawPath = q === -1 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQuery = q === -1 ? '' : req.rawUrl.slice(q + 1);
  const canonicalUri = rawPath
    .split('/')
    .map((s) => uriEncode(decodeURIComponent(s)))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = decodeURIComponent((i === -1 ? p : p.slice(0, i)).replace(/\+/g, ' '));
      const v = i === -1 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${header(h).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, payloadHash].join('\n');
  const scope = `${day ?? ''}/${region ?? ''}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${creds.secretAccessKey}`)
    .update(day ?? '')
    .digest();
  for (const part of [region ?? '', 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature)
    return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
  return undefined;
}

function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export async function startFakeS3(opts: FakeS3Options): Promise<FakeS3> {
  const objects = new Map<string, { body: Uint8Array; contentType: string; etag: string; cid?: string }>();
  const log: S3Write[] = [];
  const failing = new Set<string>();
  const pageSize = opts.pageSize ?? 1000;
  const now = opts.now ?? (() => new Date());
  const xml = new XMLParser({ isArray: (name) => name === 'Object', parseTagValue: false });

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(body);
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string): void =>
    send(
      res,
      status,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
    );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    const bad = verifySigV4({ method, rawUrl, headers: req.headers, body }, opts, now());
    if (bad !== undefined) return fail(res, bad.code === 'InvalidArgument' ? 400 : 403, bad.code, bad.message);
    const md5 = req.headers['content-md5'];
    if (typeof md5 === 'string' && createHash('md5').update(body).digest('base64') !== md5) {
      return fail(res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const url = new URL(rawUrl, 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    if (decodeURIComponent(bucket) !== opts.bucket) return fail(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = rest.map((s) => decodeURIComponent(s)).join('/');

    if (key === '' && method === 'GET') {
      if (url.searchParams.get('list-type') !== '2')
        return fail(res, 400, 'InvalidArgument', 'this fake only answers ListObjectsV2 (list-type=2)');
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Math.min(Number(url.searchParams.get('max-keys') ?? 1000), pageSize);
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const token = url.searchParams.get('continuation-token');
      const start = token === null ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
      const page = keys.slice(start, start + max);
      const truncated = start + page.length < keys.length;
      const contents = page
        .map((k) => {
          const o = objects.get(k);
          return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;${o?.etag ?? ''}&quot;</ETag><Size>${o?.body.length ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      const next = truncated
        ? `<NextContinuationToken>${Buffer.from(String(start + page.length)).toString('base64')}</NextContinuationToken>`
        : '';
      return send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${opts.bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
      );
    }
    if (key === '' && method === 'POST' && url.searchParams.has('delete')) {
      if (typeof md5 !== 'string') return fail(res, 400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
      let parsed: unknown;
      try {
        parsed = xml.parse(Buffer.from(body).toString('utf8'));
      } catch {
        return fail(res, 400, 'MalformedXML', 'not XML');
      }
      const del = isRecord(parsed) ? parsed.Delete : undefined;
      const list = isRecord(del) ? del.Object : undefined;
      if (!Array.isArray(list) || list.length === 0 || list.length > 1000)
        return fail(res, 400, 'MalformedXML', 'Delete needs 1..1000 Object entries');
      const quiet = isRecord(del) && String(del.Quiet) === 'true';
      const deleted: string[] = [];
      for (const o of list) {
        if (!isRecord(o) || typeof o.Key !== 'string') return fail(res, 400, 'MalformedXML', 'Object needs a Key');
        objects.delete(o.Key);
        log.push({ op: 'delete', key: o.Key });
        deleted.push(o.Key);
      }
      const items = quiet ? '' : deleted.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('');
      return send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</DeleteResult>`,
      );
    }
    if (key !== '' && method === 'PUT') {
      if (failing.delete(key)) return fail(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      const etag = createHash('md5').update(body).digest('hex');
      let cid: string | undefined;
      if (req.headers['x-amz-meta-import'] === 'car') {
        try {
          const [root] = await (await CarReader.fromBytes(body)).getRoots();
          if (root === undefined) throw new Error('the CAR has no root');
          await verifyCar(body, root, 'fake-s3 import');
          cid = root.toString();
        } catch (e) {
          return fail(res, 400, 'InvalidCar', (e as Error).message);
        }
      }
      objects.set(key, {
        body,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        etag,
        ...(cid === undefined ? {} : { cid }),
      });
      log.push({ op: 'put', key });
      res.writeHead(200, { etag: `"${etag}"` });
      res.end();
      return;
    }
    if (key !== '' && method === 'GET') {
      const o = objects.get(key);
      if (o === undefined) return fail(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-type': o.contentType, etag: `"${o.etag}"`, 'content-length': String(o.body.length) });
      res.end(o.body);
      return;
    }
    if (key !== '' && method === 'HEAD') {
      const o = objects.get(key);
      if (o === undefined) return void res.writeHead(404).end();
      res.writeHead(200, {
        etag: `"${o.etag}"`,
        'content-length': String(o.body.length),
        ...(o.cid === undefined ? {} : { 'x-amz-meta-cid': o.cid }),
      });
      res.end();
      return;
    }
    if (key !== '' && method === 'DELETE') {
      objects.delete(key);
      log.push({ op: 'delete', key });
      res.writeHead(204);
      res.end();
      return;
    }
    return fail(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => fail(res, 500, 'InternalError', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    log,
    failNextWriteOf: (key) => failing.add(key),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
