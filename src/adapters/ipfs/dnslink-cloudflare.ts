// A DNSLink pointer: the TXT record `dnslink=/ipfs/<cid>` (at _dnslink.<domain>) through the
// Cloudflare DNS API v4: find the record (GET zones/:zone/dns_records?type=TXT&name=...), then
// PATCH zones/:zone/dns_records/:id, or POST a new one. The API token is read from the environment
// variable named in the config at each call and never stored.
import type { CID } from 'multiformats/cid';
import { IpfsServiceError, type Pointer, type PointerMove } from '../../ports/ipfs.ts';
import { parseCid } from './block-hash.ts';
import { isRecord } from '../../core/is-record.ts';
import { requestJson } from './json-request.ts';

export interface CloudflareDnslinkOptions {
  zoneId: string;
  /** Full record name, e.g. _dnslink.blog.example.org */
  recordName: string;
  tokenEnv: string;
  env: Record<string, string | undefined>;
  /** Default https://api.cloudflare.com/client/v4 */
  apiBase?: string;
  ttl?: number;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  maxBytes?: number;
}

interface DnsRecord {
  id: string;
  content: string;
}

function toRecords(service: string, json: unknown): DnsRecord[] {
  if (!isRecord(json) || json.success !== true || !Array.isArray(json.result)) {
    throw new IpfsServiceError(service, 'bad-response', 'answer is not a Cloudflare list of DNS records');
  }
  return json.result.flatMap((r) =>
    isRecord(r) && typeof r.id === 'string' && typeof r.content === 'string' ? [{ id: r.id, content: r.content }] : [],
  );
}

function toRecord(service: string, json: unknown): DnsRecord {
  if (
    isRecord(json) &&
    json.success === true &&
    isRecord(json.result) &&
    typeof json.result.id === 'string' &&
    typeof json.result.content === 'string'
  ) {
    return { id: json.result.id, content: json.result.content };
  }
  throw new IpfsServiceError(service, 'bad-response', 'answer is not a Cloudflare DNS record');
}

/** `dnslink=/ipfs/<cid>` for a valid CID; anything else (undefined, garbage) is refused. */
export function toDnslinkValue(root: CID | string | undefined): string {
  const cid = parseCid(typeof root === 'string' ? root : root?.toString());
  if (cid === undefined)
    throw new IpfsServiceError('dnslink', 'refused', `refusing to point DNSLink at ${JSON.stringify(String(root))}: not a CID`);
  return `dnslink=/ipfs/${cid.toV1().toString()}`;
}

export function createCloudflareDnslinkPointer(options: CloudflareDnslinkOptions): Pointer {
  const {
    zoneId,
    recordName,
    tokenEnv,
    env,
    apiBase = 'https://api.cloudflare.com/client/v4',
    ttl = 60,
    fetch = globalThis.fetch,
    timeoutMs = 30_000,
    maxBytes = 1024 * 1024,
  } = options;
  const name = `dnslink ${recordName}`;
  const base = `${apiBase.replace(/\/+$/, '')}/zones/${encodeURIComponent(zoneId)}/dns_records`;
  return {
    name,
    async point(root: CID, { signal } = {}): Promise<PointerMove> {
      const content = toDnslinkValue(root);
      const token = env[tokenEnv];
      if (token === undefined || token === '')
        throw new IpfsServiceError(name, 'refused', `set the environment variable ${tokenEnv} to a Cloudflare API token (Zone.DNS edit)`);
      const limits = { headers: { authorization: `Bearer ${token}` }, timeoutMs, maxBytes, fetch, ...(signal ? { signal } : {}) };
      const listed = toRecords(name, (await requestJson(name, `${base}?type=TXT&name=${encodeURIComponent(recordName)}`, limits)).json);
      const current = listed.find((r) => unquote(r.content).startsWith('dnslink='));
      const saved = toRecord(
        name,
        (current === undefined
          ? await requestJson(name, base, { ...limits, method: 'POST', body: { type: 'TXT', name: recordName, content, ttl } })
          : await requestJson(name, `${base}/${encodeURIComponent(current.id)}`, { ...limits, method: 'PATCH', body: { content } })
        ).json,
      );
      if (unquote(saved.content) !== content) {
        throw new IpfsServiceError(name, 'bad-response', `record now says ${JSON.stringify(saved.content)}, not ${content}`);
      }
      return { pointer: name, value: content };
    },
  };
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}
