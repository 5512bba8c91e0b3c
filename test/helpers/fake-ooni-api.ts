// FAKE OONI API: stands in for api.ooni.io, answers in its real shapes (ooni/backend oonimeasurements routers/v1 aggregation.py and measurements.py).
//
// Loopback node:http. It keeps measurements as OONI's fastpath rows and answers from them:
// - GET /api/v1/aggregation: {v, dimension_count, db_stats, result}; result one row without an axis,
//   or one row per bucket with axis_x=measurement_start_day (hourly up to 7 days, daily beyond, as
//   the API's time_grain=auto does); anomaly_count excludes confirmed and failed ones, as the API counts.
//   since/until are dates; until is exclusive. Errors: {"msg": ..., "v": 0} with HTTP 400.
// - GET /api/v1/measurements: {metadata: {count, current_page, limit, next_url, offset, pages,
//   query_time}, results: [{measurement_uid, measurement_url, report_id, probe_cc, probe_asn ("AS.."),
//   test_name, measurement_start_time ("...Z"), input, anomaly, confirmed, failure, scores}]},
//   newest first by default; FastAPI's 422 {"detail": [...]} for a bad parameter.
// Faults for tests: 'hang' (never answers), 'huge' (an endless body), 'not-json', 'wrong-shape', 'status-500'.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FastpathRow {
  measurement_uid: string;
  measurement_start_time: string;
  probe_cc: string;
  probe_asn: number;
  test_name: string;
  input: string;
  anomaly: boolean;
  confirmed: boolean;
  failure: boolean;
  blocking_type?: string;
}

export type OoniFault = 'hang' | 'huge' | 'not-json' | 'wrong-shape' | 'status-500';

export interface FakeOoniApi {
  baseUrl: string;
  rows: FastpathRow[];
  /** Path and query of every request, in order. */
  requests: string[];
  /** Faults by path ('/api/v1/aggregation' or '/api/v1/measurements'); empty for none. */
  faults: Map<string, OoniFault>;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const COUNTRY = /^[A-Z]{2}(,[A-Z]{2})*$/;
const TEST_NAME = /^[a-z0-9_,]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const AXES = new Set(['blocking_type', 'category_code', 'domain', 'input', 'measurement_start_day', 'probe_asn', 'probe_cc', 'test_name']);

function domainOf(input: string): string {
  try {
    return new URL(input).hostname;
  } catch {
    return input;
  }
}

function counts(rows: readonly FastpathRow[]): Record<string, number> {
  return {
    anomaly_count: rows.filter((r) => r.anomaly && !r.confirmed && !r.failure).length,
    confirmed_count: rows.filter((r) => r.confirmed && !r.failure).length,
    failure_count: rows.filter((r) => r.failure).length,
    ok_count: rows.filter((r) => !r.anomaly && !r.confirmed && !r.failure).length,
    measurement_count: rows.length,
  };
}

function scoresOf(r: FastpathRow): Record<string, unknown> {
  const blocking = r.anomaly || r.confirmed ? 1 : 0;
  const base: Record<string, unknown> = {
    blocking_general: blocking,
    blocking_global: 0,
    blocking_country: 0,
    blocking_isp: 0,
    blocking_local: 0,
  };
  if (r.blocking_type !== undefined) base.analysis = { blocking_type: r.blocking_type };
  return base;
}

export async function startFakeOoniApi(rows: FastpathRow[] = []): Promise<FakeOoniApi> {
  const requests: string[] = [];
  const faults = new Map<string, OoniFault>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const q = url.searchParams;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const invalid = (loc: string, msg: string): void =>
      send(422, { detail: [{ type: 'value_error', loc: ['query', loc], msg, input: q.get(loc) }] });

    const fault = faults.get(url.pathname);
    if (fault === 'hang') {
      hanging.add(res);
      return;
    }
    if (fault === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('{"result": [');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    if (fault === 'not-json') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    if (fault === 'status-500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
      return;
    }
    if (fault === 'wrong-shape') {
      send(200, url.pathname.endsWith('/aggregation') ? { v: 0, result: [{ anomaly_count: 'many' }] } : { metadata: {}, results: 'none' });
      return;
    }

    for (const p of ['domain', 'input']) {
      const v = q.get(p);
      if (v !== null && v.length < 3) return invalid(p, 'String should have at least 3 characters');
    }
    const cc = q.get('probe_cc');
    if (cc !== null && !COUNTRY.test(cc)) return invalid('probe_cc', 'Two letter capitalized country codes, comma separated');
    const testName = q.get('test_name');
    if (testName !== null && !TEST_NAME.test(testName)) return invalid('test_name', "String should match pattern '^[a-z0-9_,]+$'");

    const list = (name: string): string[] | undefined =>
      q
        .get(name)
        ?.split(',')
        .map((s) => s.trim());
    const ccs = list('probe_cc');
    const domains = list('domain');
    const tests = list('test_name');
    const match = (r: FastpathRow): boolean =>
      (ccs === undefined || ccs.includes(r.probe_cc)) &&
      (domains === undefined || domains.includes(domainOf(r.input))) &&
      (tests === undefined || tests.includes(r.test_name));

    if (url.pathname === '/api/v1/aggregation') {
      const since = q.get('since');
      const until = q.get('until');
      for (const [name, v] of [
        ['since', since],
        ['until', until],
      ] as const) {
        if (v !== null && !DATE.test(v)) return invalid(name, 'Input should be a valid date');
      }
      const sinceMs = since === null ? Date.now() - 180 * DAY : Date.parse(`${since}T00:00:00Z`);
      const untilMs = until === null ? Date.now() : Date.parse(`${until}T00:00:00Z`);
      const axis = q.get('axis_x');
      if (axis !== null && !AXES.has(axis)) return send(400, { msg: 'Invalid axis name', v: 0 });
      const selected = rows.filter((r) => {
        const t = Date.parse(r.measurement_start_time);
        return match(r) && t >= sinceMs && t < untilMs;
      });
      const dbStats = { row_count: selected.length, bytes: selected.length * 100, total_row_count: rows.length, elapsed_seconds: 0.01 };
      if (axis === null) return send(200, { v: 0, dimension_count: 0, db_stats: dbStats, result: counts(selected) });
      if (axis !== 'measurement_start_day') return send(400, { msg: 'this fake groups by measurement_start_day only', v: 0 });
      if (untilMs - sinceMs <= 0) return send(400, { msg: 'Invalid since and until values', v: 0 });
      const hourly = untilMs - sinceMs <= 7 * DAY;
      const buckets = new Map<string, FastpathRow[]>();
      for (const r of selected) {
        const iso = new Date(r.measurement_start_time).toISOString();
        const key = hourly ? `${iso.slice(0, 13)}:00:00Z` : iso.slice(0, 10);
        buckets.set(key, [...(buckets.get(key) ?? []), r]);
      }
      const result = [...buckets.keys()].sort().map((k) => ({ ...counts(buckets.get(k) ?? []), measurement_start_day: k }));
      return send(200, { v: 0, dimension_count: 1, db_stats: dbStats, result });
    }

    if (url.pathname === '/api/v1/measurements') {
      const time = (name: string, fallback: number): number | undefined => {
        const v = q.get(name);
        if (v === null) return fallback;
        const t = Date.parse(DATE.test(v) ? `${v}T00:00:00Z` : v);
        return Number.isNaN(t) ? undefined : t;
      };
      const untilMs = time('until', Date.now() + DAY);
      const sinceMs = time('since', (untilMs ?? Date.now()) - 30 * DAY);
      if (untilMs === undefined) return invalid('until', 'Input should be a valid datetime');
      if (sinceMs === undefined) return invalid('since', 'Input should be a valid datetime');
      const limit = Number(q.get('limit') ?? '100');
      const offset = Number(q.get('offset') ?? '0');
      if (!Number.isInteger(limit) || limit < 1) return invalid('limit', 'Input should be greater than 0');
      const order = (q.get('order') ?? 'desc').toLowerCase();
      const selected = rows
        .filter((r) => {
          const t = Date.parse(r.measurement_start_time);
          return match(r) && t > sinceMs && t <= untilMs;
        })
        .sort((a, b) => (order === 'asc' ? 1 : -1) * (Date.parse(a.measurement_start_time) - Date.parse(b.measurement_start_time)));
      const page = selected.slice(offset, offset + limit);
      const full = page.length >= limit;
      const nextArgs = new URLSearchParams(q);
      nextArgs.set('offset', String(offset + limit));
      return send(200, {
        metadata: {
          count: full ? -1 : offset + page.length,
          current_page: Math.ceil(offset / limit) + 1,
          limit,
          next_url: full ? `https://api.ooni.io/api/v1/measurements?${nextArgs.toString()}` : null,
          offset,
          pages: full ? -1 : Math.ceil((offset + page.length) / limit),
          query_time: 0.01,
        },
        results: page.map((r) => ({
          anomaly: r.anomaly,
          confirmed: r.confirmed,
          failure: r.failure,
          input: r.input,
          measurement_start_time: new Date(r.measurement_start_time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          measurement_uid: r.measurement_uid,
          measurement_url: `https://api.ooni.io/api/v1/raw_measurement?measurement_uid=${r.measurement_uid}`,
          probe_asn: `AS${r.probe_asn}`,
          probe_cc: r.probe_cc,
          report_id: `${r.measurement_uid.slice(0, 15)}_${r.probe_cc}_AS${r.probe_asn}_report`,
          scores: scoresOf(r),
          test_name: r.test_name,
        })),
      });
    }
    send(404, { detail: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    rows,
    requests,
    faults,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let seq = 0;

/** A web_connectivity fastpath row in the API's terms (uid in OONI's format, time ISO). */
export function ooniRow(input: string, startTime: Date, over: Partial<FastpathRow> = {}): FastpathRow {
  seq++;
  const stamp = startTime.toISOString().replace(/[-:]/g, '').replace('T', '').slice(0, 14);
  return {
    measurement_uid: `${stamp}.${String(seq).padStart(6, '0')}_CN_webconnectivity_${seq.toString(16).padStart(16, '0')}`,
    measurement_start_time: startTime.toISOString(),
    probe_cc: 'CN',
    probe_asn: 4134,
    test_name: 'web_connectivity',
    input,
    anomaly: false,
    confirmed: false,
    failure: false,
    ...over,
  };
}
