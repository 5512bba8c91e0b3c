// Real loopback servers for the prober's tests (port 0): an HTTP or HTTPS mirror serving a signed
// snapshot well or badly (hanging, slow, 500, tampered with a planted script, a censor's block
// page, a redirect to another host, a TLS handshake that fails for one name), a DNS server over
// UDP and a DNS-over-HTTPS endpoint (RFC 8484 POST) answering from a table (poisoned or not),
// and test certificates made with the openssl binary.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import dnsPacket from 'dns-packet';

/** 'slow' delays the pages readers land on (directory indexes); the rest answers at once. */
export type ProbeFault = 'good' | 'hang' | 'slow' | 'error500' | 'tamper' | 'blockpage' | 'redirect-offsite';

export const BLOCK_PAGE =
  '<!doctype html><html><head><title>Web Filter Violation</title></head><body><h1>FortiGuard Web Filtering</h1><p>Access to this site is blocked.</p></body></html>';

export interface KeyCert {
  key: string;
  cert: string;
}

export interface SnapshotServerOptions {
  fault?: ProbeFault;
  delayMs?: number;
  tls?: KeyCert;
  /** TLS handshakes asking for this name fail (SNI filtering on the path). */
  refuseSni?: string;
}

export interface SnapshotServer {
  url: string;
  port: number;
  requests: string[];
  setFault(fault: ProbeFault): void;
  close(): Promise<void>;
}

const MANIFEST_FILES = new Set(['/manifest.json', '/manifest.json.sig']);

export async function startSnapshotServer(
  snapshot: ReadonlyMap<string, Uint8Array>,
  { fault: initial = 'good', delayMs = 700, tls, refuseSni }: SnapshotServerOptions = {},
): Promise<SnapshotServer> {
  let fault = initial;
  const requests: string[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const raw = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const path = raw.endsWith('/') ? `${raw}index.html` : raw;
    requests.push(path);
    if (fault === 'hang') return;
    const answer = (): void => {
      if (fault === 'error500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      if (fault === 'redirect-offsite') return void res.writeHead(302, { location: 'http://warning.rt.ru/?id=1' }).end();
      if (fault === 'blockpage') return void res.writeHead(200, { 'content-type': 'text/html' }).end(BLOCK_PAGE);
      const body = snapshot.get(path);
      if (body === undefined) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      if (fault === 'tamper' && !MANIFEST_FILES.has(path) && path.endsWith('.html')) {
        const evil = Buffer.from(
          Buffer.from(body)
            .toString('utf8')
            .replace(
              '</body>',
              '<script src="https://cdn.evil.example/x.js"></script><iframe src="https://evil.example/" width="1" height="1"></iframe></body>',
            ),
        );
        return void res.writeHead(200, { 'content-type': 'text/html', 'content-length': evil.length }).end(evil);
      }
      const type = path.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
    };
    if (fault === 'slow' && path.endsWith('/index.html')) {
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, delayMs);
      timers.add(t);
    } else answer();
  };
  const server: Server =
    tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            SNICallback: (name, cb) => (name === refuseSni ? cb(new Error('filtered'), undefined) : cb(null, createSecureContext(tls))),
          },
          handler,
        );
  const port = await listen(server);
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/`,
    port,
    requests,
    setFault: (f) => {
      fault = f;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A server answering every GET with one page (an origin, or what a censor shows instead). */
export async function startPageServer(
  body: string,
  headers: Record<string, string> = { 'content-type': 'text/html' },
): Promise<SnapshotServer> {
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req.url ?? '/');
    res.writeHead(200, headers).end(body);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    setFault: () => undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL on a port that was opened, then closed: connections are refused. */
export async function refusedPort(): Promise<number> {
  const server = createHttpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

// ---- DNS ----

/** name -> answers; a missing name is NXDOMAIN. */
export type DnsTable = Record<string, { A?: string[]; AAAA?: string[] }>;

function answer(table: DnsTable, query: dnsPacket.DecodedPacket): Buffer {
  const q = query.questions?.[0];
  const entry = q === undefined ? undefined : table[q.name.toLowerCase()];
  const type = q?.type === 'AAAA' ? 'AAAA' : 'A';
  const data = entry?.[type] ?? [];
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (entry === undefined ? 3 : 0),
    questions: query.questions ?? [],
    answers: q === undefined ? [] : data.map((d) => ({ type, name: q.name, ttl: 60, class: 'IN' as const, data: d })),
  });
}

export interface UdpDns {
  address: string;
  port: number;
  /** Queries seen (names). */
  queries: string[];
  close(): Promise<void>;
}

/** A DNS server over UDP on loopback answering from the table; silent: it receives and never answers. */
export async function startUdpDns(table: DnsTable, { silent = false }: { silent?: boolean } = {}): Promise<UdpDns> {
  const socket: Socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    queries.push(query.questions?.[0]?.name ?? '');
    if (!silent) socket.send(answer(table, query), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    address: '127.0.0.1',
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A DNS-over-HTTPS endpoint (RFC 8484: POST application/dns-message at /dns-query) on loopback. */
export async function startDohServer(table: DnsTable): Promise<{ url: string; queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/dns-query' || req.headers['content-type'] !== 'application/dns-message') {
        res.writeHead(400).end();
        return;
      }
      const query = dnsPacket.decode(Buffer.concat(chunks));
      queries.push(`${query.questions?.[0]?.type ?? ''} ${query.questions?.[0]?.name ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(answer(table, query));
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    queries,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- certificates ----

export interface TestCerts {
  ca: string;
  /** Valid for mirror.test, signed by the test CA, 90 days. */
  good: KeyCert;
  /** Valid for mirror.test, expires in 5 days. */
  expiring: KeyCert;
  /** Expired (notAfter before now). */
  expired: KeyCert;
  /** Valid, but for other.test. */
  wrongName: KeyCert;
  /** Self-signed for mirror.test: no trusted CA vouches for it. */
  selfSigned: KeyCert;
}

/** Certificates made with the openssl binary in a temporary folder (removed afterwards). */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-certs-'));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365', '-subj', '/CN=Ferry Test CA');
    let serial = 1;
    const leaf = (name: string, days: string, host: string): KeyCert => {
      ssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${host}`);
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${host}\n`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(++serial),
        '-out',
        `${name}.pem`,
        '-days',
        days,
        '-extfile',
        `${name}.ext`,
      );
      return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') };
    };
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
      '-days',
      '30',
      '-subj',
      '/CN=mirror.test',
      '-addext',
      'subjectAltName=DNS:mirror.test',
    );
    return {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      good: leaf('good', '90', 'mirror.test'),
      expiring: leaf('expiring', '5', 'mirror.test'),
      expired: leaf('expired', '-1', 'mirror.test'),
      wrongName: leaf('wrong', '90', 'other.test'),
      selfSigned: { key: readFileSync(join(dir, 'self.key'), 'utf8'), cert: readFileSync(join(dir, 'self.pem'), 'utf8') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
