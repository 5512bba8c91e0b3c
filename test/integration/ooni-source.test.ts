// The OONI adapter against a loopback server answering in api.ooni.io's shapes: what it asks,
// what it concludes per target and country, and how a hanging, huge, malformed or failing API
// gives a clear problem and no evidence instead of a crash.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config-error.ts';
import { ORIGIN_TARGET } from '../../src/core/health/observation.ts';
import { createOoniSource } from '../../src/adapters/probes/ooni-source.ts';
import type { ProbeTarget } from '../../src/ports/prober.ts';
import { ooniRow, startFakeOoniApi, type FakeOoniApi, type FastpathRow } from '../helpers/fake-ooni-api.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (hours: number): Date => new Date(NOW.getTime() - hours * 3_600_000);
const targets: ProbeTarget[] = [
  { id: 'gh', url: 'https://blocked.example.org/blog/', role: 'mirror' },
  { id: 'cf', url: 'https://fine.example.net/', role: 'mirror' },
  { id: ORIGIN_TARGET, url: 'https://origin.example.com/feeds/posts/default', role: 'origin' },
];

function seed(): FastpathRow[] {
  return [
    // blocked.example.org: DNS anomalies in CN over the last day, fine in IR.
    ...[1, 2, 5, 9, 20].map((h) => ooniRow('https://blocked.example.org/', ago(h), { anomaly: true, blocking_type: 'dns' })),
    ooniRow('https://blocked.example.org/', ago(3)),
    ooniRow('https://blocked.example.org/', ago(4), { failure: true }),
    ...[2, 6, 30].map((h) => ooniRow('https://blocked.example.org/', ago(h), { probe_cc: 'IR', probe_asn: 197207 })),
    // fine.example.net: ok in CN (and an anomaly too old to count).
    ...[1, 7, 11, 40].map((h) => ooniRow('https://fine.example.net/', ago(h))),
    ooniRow('https://fine.example.net/', ago(24 * 10), { anomaly: true }),
    // The origin: a confirmed block page two days ago.
    ooniRow('https://origin.example.com/', ago(50), { confirmed: true, anomaly: true, blocking_type: 'http-diff' }),
    ...[52, 60].map((h) => ooniRow('https://origin.example.com/', ago(h))),
    // Another test and another domain never count.
    ooniRow('https://fine.example.net/', ago(1), { test_name: 'dnscheck', anomaly: true }),
    ooniRow('https://other.example/', ago(1), { confirmed: true }),
  ];
}

let api: FakeOoniApi;
beforeAll(async () => {
  api = await startFakeOoniApi([]);
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  api.rows.splice(0, api.rows.length, ...seed());
  api.requests.length = 0;
  api.faults.clear();
});

describe('OONI source', () => {
  it('asks the aggregation and measurement endpoints for each domain in each country, and reports with ages', async () => {
    const source = createOoniSource({ baseUrl: api.baseUrl, countries: ['CN', 'ir'], now: () => NOW });
    const { results, problems, silent } = await source.read(targets);
    expect(problems).toEqual([]);

    const agg = api.requests.find(
      (r) => r.startsWith('/api/v1/aggregation') && r.includes('domain=blocked.example.org') && r.includes('probe_cc=CN'),
    );
    expect(agg).toBeDefined();
    const q = new URL(`http://x${agg ?? ''}`).searchParams;
    expect(Object.fromEntries(q)).toEqual({
      probe_cc: 'CN',
      domain: 'blocked.example.org',
      test_name: 'web_connectivity',
      since: '2026-12-04',
      until: '2026-12-08',
      axis_x: 'measurement_start_day',
    });
    expect(api.requests.filter((r) => r.startsWith('/api/v1/measurements'))).toHaveLength(6);

    const byKey = new Map(results.map((r) => [`${r.target}/${r.vantage.country ?? ''}`, r]));
    const gh = byKey.get('gh/CN');
    expect(gh?.vantage).toEqual({ id: 'ooni-cn', kind: 'ooni', country: 'CN' });
    expect(gh?.verdict).toBe('unreachable'); // unconfirmed: needs a quorum to be `blocked`
    expect(gh?.evidence[0]).toMatchObject({
      layer: 'ooni',
      code: 'ooni-anomaly',
      points: 'blocked',
      ageSeconds: 3600,
      facts: { anomalies: 5, ok: 1, failures: 1, measurements: 7, blockingType: 'dns', probeAsn: 'AS4134' },
    });
    expect(gh?.evidence[0]?.confirmed).toBeUndefined();
    expect(byKey.get('gh/IR')?.evidence[0]).toMatchObject({ code: 'ooni-ok', points: 'healthy', ageSeconds: 7200 });
    expect(byKey.get('cf/CN')?.evidence[0]).toMatchObject({ code: 'ooni-ok', facts: { measurements: 4, anomalies: 0 } });
    const origin = byKey.get(`${ORIGIN_TARGET}/CN`);
    expect(origin?.verdict).toBe('blocked');
    expect(origin?.evidence[0]).toMatchObject({
      code: 'ooni-confirmed',
      confirmed: true,
      ageSeconds: 50 * 3600,
      facts: { blockingType: 'http-diff' },
    });
    // Nothing from IR about fine.example.net or the origin: no report, not health.
    expect(silent).toEqual(
      expect.arrayContaining([
        { target: 'cf', country: 'IR' },
        { target: ORIGIN_TARGET, country: 'IR' },
      ]),
    );
    expect(results).toHaveLength(4);
  });

  it('asks once per domain and country when targets share a domain; a base URL with a slash works', async () => {
    const source = createOoniSource({ baseUrl: `${api.baseUrl}/`, now: () => NOW });
    const { results } = await source.read([
      targets[0] as ProbeTarget,
      { id: 'gh2', url: 'http://blocked.example.org/other/', role: 'mirror' },
    ]);
    expect(api.requests).toHaveLength(2);
    expect(results.map((r) => r.target).sort()).toEqual(['gh', 'gh2']);
  });

  it.each<[string, 'hang' | 'huge' | 'not-json' | 'wrong-shape' | 'status-500', RegExp]>([
    ['a hanging API', 'hang', /no complete answer within 300 ms/],
    ['a huge answer', 'huge', /body is over the limit of 65536 bytes/],
    ['an HTML error page', 'not-json', /the answer is not JSON \(<html>/],
    ['a wrong shape', 'wrong-shape', /OONI aggregation \([a-z.]+, CN\)\.result\[0\]\.anomaly_count: expected a count/],
    ['HTTP 500', 'status-500', /answered HTTP 500: Internal Server Error/],
  ])('%s: a clear problem per target, no evidence, no crash', async (_name, fault, message) => {
    api.faults.set('/api/v1/aggregation', fault);
    // A short deadline for the hanging API only: on a loaded machine the others' answers (a huge
    // one above all) could take longer than 300 ms and end in the deadline instead of their own fault.
    const timeoutMs = fault === 'hang' ? 300 : 10_000;
    const source = createOoniSource({ baseUrl: api.baseUrl, now: () => NOW, timeoutMs, maxBytes: 65_536 });
    const started = Date.now();
    const { results, problems } = await source.read(targets);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(results).toEqual([]);
    expect(problems).toHaveLength(3);
    for (const p of problems) {
      expect(p.message).toMatch(message);
      expect(p.url).toContain('/api/v1/aggregation?');
      expect(p.country).toBe('CN');
    }
    expect(problems.map((p) => p.target).sort()).toEqual([ORIGIN_TARGET, 'cf', 'gh'].sort());
  });

  it('a failing measurements endpoint also gives no evidence (the counts alone are not trusted for ages)', async () => {
    api.faults.set('/api/v1/measurements', 'wrong-shape');
    const { results, problems } = await createOoniSource({ baseUrl: api.baseUrl, now: () => NOW }).read(targets);
    expect(results).toEqual([]);
    expect(problems[0]?.message).toMatch(/results: expected a list/);
    expect(problems[0]?.url).toContain('/api/v1/measurements?');
  });

  it('the caller can cancel', async () => {
    api.faults.set('/api/v1/aggregation', 'hang');
    const controller = new AbortController();
    const reading = createOoniSource({ baseUrl: api.baseUrl, now: () => NOW }).read(targets, controller.signal);
    setTimeout(() => controller.abort(), 100);
    const { problems } = await reading;
    expect(problems[0]?.message).toMatch(/request was cancelled/);
  });

  it('rejects a base URL or a country that cannot work, saying what to use', () => {
    expect(() => createOoniSource({ baseUrl: 'api.ooni.io' })).toThrow(ConfigError);
    expect(() => createOoniSource({ baseUrl: 'ftp://api.ooni.io' })).toThrow(/must be http\(s\), e\.g\. https:\/\/api\.ooni\.io/);
    expect(() => createOoniSource({ countries: ['China'] })).toThrow(/'CHINA' is not a two-letter country code/);
  });
});
