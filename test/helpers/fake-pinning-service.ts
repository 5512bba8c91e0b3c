// FAKE IPFS Pinning Service for tests, following the Pinning Service API spec v1 (https://ipfs.github.io/pinning-services-api-spec/): POST /pins, GET /pins/{requestid}.
//
// Loopback node:http. Bearer token required (401 with a Failure body otherwise). POST /pins takes
// {cid, name, origins?} and answers 202 with a PinStatus {requestid, status: "queued", created,
// pin, delegates}; each GET /pins/{requestid} moves it along: queued -> pinning -> the outcome.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface FakePinningOptions {
  token: string;
  /** Final status (default 'pinned'); 'never' stays 'pinning' forever. */
  outcome?: 'pinned' | 'failed' | 'never';
  /** Answer a different CID than asked (a broken or lying service). */
  lieAboutCid?: string;
}

export interface FakePinningService {
  url: string;
  requests: string[];
  pins: Map<string, { cid: string; name: string; status: string; polls: number }>;
  options: FakePinningOptions;
  close(): Promise<void>;
}

export async function startFakePinningService(initial: FakePinningOptions): Promise<FakePinningService> {
  const pins = new Map<string, { cid: string; name: string; status: string; polls: number }>();
  const requests: string[] = [];
  const state = { options: initial };
  const statusOf = (id: string, pin: { cid: string; name: string; status: string }) => ({
    requestid: id,
    status: pin.status,
    created: '2026-01-01T00:00:00Z',
    pin: { cid: state.options.lieAboutCid ?? pin.cid, name: pin.name },
    delegates: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWFakeFakeFakeFakeFakeFakeFakeFakeFakeFake'],
  });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${state.options.token}`) {
      send(401, { error: { reason: 'UNAUTHORIZED', details: 'Access token is missing or invalid' } });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === '/pins') {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          send(400, { error: { reason: 'BAD_REQUEST', details: 'body is not JSON' } });
          return;
        }
        const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
        if (typeof record.cid !== 'string') {
          send(400, { error: { reason: 'BAD_REQUEST', details: 'cid is required' } });
          return;
        }
        const id = randomUUID();
        const pin = { cid: record.cid, name: typeof record.name === 'string' ? record.name : '', status: 'queued', polls: 0 };
        pins.set(id, pin);
        send(202, statusOf(id, pin));
        return;
      }
      const match = /^\/pins\/([^/]+)$/.exec(url.pathname);
      const pin = match?.[1] === undefined ? undefined : pins.get(decodeURIComponent(match[1]));
      if (req.method === 'GET' && match && pin) {
        pin.polls += 1;
        const outcome = state.options.outcome ?? 'pinned';
        pin.status = pin.polls === 1 ? 'pinning' : outcome === 'never' ? 'pinning' : outcome;
        send(200, statusOf(match[1] ?? '', pin));
        return;
      }
      send(404, { error: { reason: 'NOT_FOUND', details: `no ${req.method} ${url.pathname}` } });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pins,
    get options() {
      return state.options;
    },
    set options(next: FakePinningOptions) {
      state.options = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
