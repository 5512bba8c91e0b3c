// OONI's answers as evidence: confirmed blocking is certain, anomalies need a quorum, failures and
// old or thin data say nothing, and malformed answers are named errors.
import { describe, expect, it } from 'vitest';
import { combineRound } from '../../src/core/health/combine-round.ts';
import { classifyEvidence, type ProbeResult } from '../../src/core/health/observation.ts';
import {
  DEFAULT_OONI_POLICY,
  OoniDataError,
  parseOoniAggregation,
  parseOoniMeasurements,
  toOoniResult,
  type OoniCounts,
  type OoniMeasurement,
} from '../../src/core/health/ooni-evidence.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const Q = { target: 'gh', domain: 'blog.example.org', country: 'CN' };
const hoursAgo = (h: number): string => new Date(NOW.getTime() - h * 3_600_000).toISOString().replace('.000Z', 'Z');

function day(d: string, c: Partial<Omit<OoniCounts, 'day'>>): OoniCounts {
  const out = { anomaly: 0, confirmed: 0, failure: 0, ok: 0, ...c };
  return { day: d, ...out, measurements: out.anomaly + out.confirmed + out.failure + out.ok };
}

let n = 0;
function msm(h: number, flags: Partial<Pick<OoniMeasurement, 'anomaly' | 'confirmed' | 'failure' | 'blockingType'>> = {}): OoniMeasurement {
  n++;
  return {
    uid: `20261207_CN_webconnectivity_${n}`,
    startTime: hoursAgo(h),
    anomaly: false,
    confirmed: false,
    failure: false,
    probeCc: 'CN',
    probeAsn: 'AS4134',
    ...flags,
  };
}

describe('toOoniResult', () => {
  it.each<[string, OoniCounts[], OoniMeasurement[], string | undefined, boolean | undefined]>([
    ['mostly ok is healthy evidence', [day('2026-12-07', { ok: 9, anomaly: 1 })], [msm(2)], 'ooni-ok', undefined],
    [
      'a confirmed block page is certain',
      [day('2026-12-06', { ok: 5, confirmed: 1 })],
      [msm(20, { confirmed: true, anomaly: true })],
      'ooni-confirmed',
      true,
    ],
    [
      'a majority of anomalies is unconfirmed blocking',
      [day('2026-12-07', { ok: 2, anomaly: 6 })],
      [msm(1, { anomaly: true, blockingType: 'dns' })],
      'ooni-anomaly',
      undefined,
    ],
    [
      'failures count neither way',
      [day('2026-12-07', { ok: 1, anomaly: 2, failure: 20 })],
      [msm(1, { anomaly: true })],
      'ooni-anomaly',
      undefined,
    ],
    ['too few usable measurements say nothing', [day('2026-12-07', { ok: 1, failure: 30 })], [msm(1)], undefined, undefined],
    ['no data says nothing', [], [], undefined, undefined],
    ['days older than the window say nothing', [day('2026-11-20', { anomaly: 40 })], [], undefined, undefined],
  ])('%s', (_name, days, list, code, confirmed) => {
    const r = toOoniResult(Q, days, list, NOW);
    if (code === undefined) {
      expect(r).toBeUndefined();
      return;
    }
    expect(r?.vantage).toEqual({ id: 'ooni-cn', kind: 'ooni', country: 'CN' });
    expect(r?.target).toBe('gh');
    expect(r?.at).toBe(NOW.toISOString());
    expect(r?.evidence).toHaveLength(1);
    const e = r?.evidence[0];
    expect(e?.layer).toBe('ooni');
    expect(e?.code).toBe(code);
    expect(e?.confirmed).toBe(confirmed);
    expect(e?.facts).toMatchObject({ country: 'CN', domain: 'blog.example.org' });
    expect(r?.verdict).toBe(classifyEvidence(r?.evidence ?? []));
  });

  it('ages come from the newest measurement of the deciding class, else from the start of its day', () => {
    const withList = toOoniResult(
      Q,
      [day('2026-12-07', { ok: 1, anomaly: 5 })],
      [msm(1), msm(3, { anomaly: true, blockingType: 'dns' })],
      NOW,
    );
    expect(withList?.evidence[0]?.ageSeconds).toBe(3 * 3600);
    expect(withList?.evidence[0]?.facts).toMatchObject({ blockingType: 'dns', probeAsn: 'AS4134', anomalies: 5, ok: 1 });
    expect(withList?.evidence[0]?.message).toContain('5 of 6 measurements (dns), newest 3 h ago');

    const daysOnly = toOoniResult(Q, [day('2026-12-05', { ok: 2 }), day('2026-12-06', { ok: 3 })], [], NOW);
    expect(daysOnly?.evidence[0]?.ageSeconds).toBe(36 * 3600); // 2026-12-06T00:00Z to 12:00Z the next day
  });

  it('hourly buckets (the API grain up to 7 days) count while they end inside the window', () => {
    const policy = { ...DEFAULT_OONI_POLICY, maxAgeSeconds: 6 * 3600 };
    const rows = [
      { day: '2026-12-07T05:00:00Z', anomaly: 9, confirmed: 0, failure: 0, ok: 0, measurements: 9 }, // ended 6 h ago: out
      { day: '2026-12-07T09:00:00Z', anomaly: 0, confirmed: 0, failure: 0, ok: 4, measurements: 4 },
    ];
    const r = toOoniResult(Q, rows, [], NOW, policy);
    expect(r?.evidence[0]).toMatchObject({ code: 'ooni-ok', ageSeconds: 3 * 3600, facts: { measurements: 4, anomalies: 0 } });
  });

  it('without aggregation rows, the newest page of measurements is counted instead (other countries ignored)', () => {
    const list = [msm(1, { anomaly: true }), msm(2, { anomaly: true }), msm(3, { anomaly: true }), { ...msm(1), probeCc: 'IR' }];
    const r = toOoniResult(Q, [], list, NOW);
    expect(r?.evidence[0]).toMatchObject({ code: 'ooni-anomaly', facts: { measurements: 3, anomalies: 3 } });
  });

  it('measurements older than maxAge make no report even when the day row is in the window', () => {
    const policy = { ...DEFAULT_OONI_POLICY, maxAgeSeconds: 3600 };
    expect(toOoniResult(Q, [day('2026-12-07', { confirmed: 4 })], [msm(5, { confirmed: true })], NOW, policy)).toBeUndefined();
  });
});

describe('OONI evidence in a round (combineRound)', () => {
  const local: ProbeResult = {
    target: 'gh',
    vantage: { id: 'local', kind: 'local' },
    at: NOW.toISOString(),
    verdict: 'healthy',
    evidence: [],
  };
  const anomalies = toOoniResult(Q, [day('2026-12-07', { anomaly: 8 })], [msm(1, { anomaly: true })], NOW);
  const confirmed = toOoniResult(Q, [day('2026-12-07', { confirmed: 2, ok: 3 })], [msm(1, { confirmed: true })], NOW);
  const agent: ProbeResult = {
    target: 'gh',
    vantage: { id: 'volunteer', kind: 'agent', country: 'CN' },
    at: NOW.toISOString(),
    verdict: 'unreachable',
    evidence: [{ layer: 'dns', code: 'dns-bogon', message: 'bogon', points: 'blocked' }],
  };
  const list = (...rs: (ProbeResult | undefined)[]): ProbeResult[] => rs.filter((r): r is ProbeResult => r !== undefined);

  it('anomalies alone are no quorum of two', () => {
    expect(combineRound('gh', list(local, anomalies), { quorum: 2 })?.verdict).toBe('healthy');
  });
  it('anomalies and one failing agent in the same country are', () => {
    expect(combineRound('gh', list(local, anomalies, agent), { quorum: 2 })).toMatchObject({ verdict: 'blocked', blockedIn: ['CN'] });
  });
  it('a confirmed block is enough on its own', () => {
    expect(combineRound('gh', list(local, confirmed), { quorum: 2 })).toMatchObject({ verdict: 'blocked', blockedIn: ['CN'] });
  });
});

describe('parsing the API', () => {
  it('reads aggregation with and without an axis', () => {
    const counts = { anomaly_count: 1, confirmed_count: 0, failure_count: 2, ok_count: 3, measurement_count: 6 };
    expect(parseOoniAggregation({ v: 0, dimension_count: 0, result: counts })).toEqual([
      { anomaly: 1, confirmed: 0, failure: 2, ok: 3, measurements: 6 },
    ]);
    const rows = parseOoniAggregation({
      v: 0,
      dimension_count: 1,
      db_stats: {},
      result: [{ ...counts, measurement_start_day: '2026-12-06' }],
    });
    expect(rows[0]?.day).toBe('2026-12-06');
  });

  it('reads the measurement list (probe_asn as text or number, scores optional)', () => {
    const list = parseOoniMeasurements({
      metadata: { count: 2, current_page: 1, limit: 50, next_url: null, offset: 0, pages: 1, query_time: 0.1 },
      results: [
        {
          measurement_uid: '20261207120000.000000_CN_webconnectivity_abc',
          measurement_url: 'https://api.ooni.io/api/v1/raw_measurement?measurement_uid=x',
          measurement_start_time: '2026-12-07T10:00:00Z',
          anomaly: true,
          confirmed: false,
          failure: false,
          input: 'https://blog.example.org/',
          probe_cc: 'CN',
          probe_asn: 'AS4134',
          scores: { blocking_general: 1, analysis: { blocking_type: 'dns' } },
          test_name: 'web_connectivity',
        },
        { measurement_uid: 'u2', measurement_start_time: '2026-12-07T09:00:00Z', probe_asn: 4837, scores: {} },
      ],
    });
    expect(list[0]).toMatchObject({ anomaly: true, blockingType: 'dns', probeAsn: 'AS4134' });
    expect(list[1]).toMatchObject({ anomaly: false, confirmed: false, probeAsn: 'AS4837' });
  });

  it.each<[string, () => unknown, RegExp]>([
    ['not an object', () => parseOoniAggregation([]), /expected a JSON object/],
    ['the API error shape', () => parseOoniAggregation({ msg: 'Invalid since and until values', v: 0 }), /the API said: Invalid since/],
    [
      'a negative count',
      () =>
        parseOoniAggregation({ result: { anomaly_count: -1, confirmed_count: 0, failure_count: 0, ok_count: 0, measurement_count: 0 } }),
      /anomaly_count: expected a count/,
    ],
    ['a count as text', () => parseOoniAggregation({ result: [{ anomaly_count: '1' }] }), /result\[0\]\.anomaly_count/],
    [
      'a bad day',
      () =>
        parseOoniAggregation({
          result: [
            {
              anomaly_count: 0,
              confirmed_count: 0,
              failure_count: 0,
              ok_count: 0,
              measurement_count: 0,
              measurement_start_day: 'yesterday',
            },
          ],
        }),
      /measurement_start_day/,
    ],
    ['no results list', () => parseOoniMeasurements({ metadata: {} }), /results: expected a list/],
    ['no uid', () => parseOoniMeasurements({ results: [{ measurement_start_time: '2026-12-07T09:00:00Z' }] }), /measurement_uid: missing/],
    [
      'a bad time',
      () => parseOoniMeasurements({ results: [{ measurement_uid: 'u', measurement_start_time: 'soon' }] }),
      /measurement_start_time/,
    ],
    [
      'a flag as text',
      () => parseOoniMeasurements({ results: [{ measurement_uid: 'u', measurement_start_time: '2026-12-07T09:00:00Z', confirmed: 't' }] }),
      /confirmed: expected true or false/,
    ],
    ['too many rows', () => parseOoniMeasurements({ results: Array.from({ length: 1001 }, () => ({})) }), /more than 1000/],
  ])('%s is an OoniDataError', (_name, parse, message) => {
    expect(parse).toThrow(OoniDataError);
    expect(parse).toThrow(message);
  });
});
