// FAKE Cloudflare DNS API v4 for tests, following https://developers.cloudflare.com/api/resources/dns/subresources/records/ (list, create, patch DNS records only).
//
// Loopback node:http under /client/v4. Bearer token required (403 with success:false otherwise).
// GET zones/:zone/dns_records?type=&name= lists, POST zones/:zone/dns_records creates,
// PATCH zones/:zone/dns_records/:id updates; answers use the {success, errors, messages, result} envelope.
import { createServer } from 'node:http';

export interface DnsRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
}

export interface FakeCloudflareDns {
  apiBase: string;
  zoneId: string;
  records: Map<string, DnsRecord>;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeCloudflareDns({
  token,
  zoneId = 'zone123',
  records = [],
}: {
  token: string;
  zoneId?: string;
  records?: DnsRecord[];
}): Promise<FakeCloudflareDns> {
  const store = new Map(records.map((r) => [r.id, { ...r }]));
  const requests: string[] = [];
  let nextId = 1;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [], messages: [], ...body }));
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }], result: null });
      return;
    }
    const base = `/client/v4/zones/${zoneId}/dns_records`;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = (): Record<string, unknown> => {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      };
      if (req.method === 'GET' && url.pathname === base) {
        const type = url.searchParams.get('type');
        const name = url.searchParams.get('name');
        const result = [...store.values()].filter((r) => (type === null || r.type === type) && (name === null || r.name === name));
        send(200, { success: true, result });
        return;
      }
      if (req.method === 'POST' && url.pathname === base) {
        const b = body();
        if (typeof b.type !== 'string' || typeof b.name !== 'string' || typeof b.content !== 'string') {
          send(400, { success: false, errors: [{ code: 9000, message: 'type, name and content are required' }], result: null });
          return;
        }
        const record: DnsRecord = {
          id: `rec${nextId++}`,
          type: b.type,
          name: b.name,
          content: b.content,
          ttl: typeof b.ttl === 'number' ? b.ttl : 1,
        };
        store.set(record.id, record);
        send(200, { success: true, result: record });
        return;
      }
      const id = url.pathname.startsWith(`${base}/`) ? decodeURIComponent(url.pathname.slice(base.length + 1)) : undefined;
      const record = id === undefined ? undefined : store.get(id);
      if ((req.method === 'PATCH' || req.method === 'PUT') && record) {
        const b = body();
        if (typeof b.content === 'string') record.content = b.content;
        send(200, { success: true, result: record });
        return;
      }
      send(404, { success: false, errors: [{ code: 81044, message: 'Record does not exist.' }], result: null });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    apiBase: `http://127.0.0.1:${port}/client/v4`,
    zoneId,
    records: store,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
