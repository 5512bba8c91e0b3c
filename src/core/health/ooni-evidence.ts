// What OONI's volunteers measured, as one more vantage point per country: the OONI API's
// web_connectivity counts (/api/v1/aggregation, one row per day) and newest measurements
// (/api/v1/measurements) for a target's domain, turned into a ProbeResult whose evidence carries
// the age of the measurements. Pure: the API's JSON arrives as `unknown` and the time is a parameter.
//
// OONI's own classes are kept apart, the way its aggregation counts them:
// - confirmed: OONI matched a known block page (its fingerprints) — certain, `blocked` on its own;
// - anomaly: something looked wrong (DNS, TCP, HTTP differed from OONI's control) but nothing is
//   certain: `blocked` evidence that is not confirmed, so it needs a quorum in that country
//   (combineRound) and points at most to `unreachable` from OONI alone;
// - failure: the measurement itself failed (not counted either way);
// - ok: reachable from that country.
// No data, too few measurements or only old ones make no report: silence is not health.
import { isRecord } from '../is-record.ts';
import { classifyEvidence, type Evidence, type ProbeResult, type Vantage } from './observation.ts';

export class OoniDataError extends Error {
  override name = 'OoniDataError';
}

/** One row of /api/v1/aggregation (per day or hour with axis_x=measurement_start_day). */
export interface OoniCounts {
  /** 'YYYY-MM-DD' (or 'YYYY-MM-DDTHH:MM:SSZ' with hourly grain); absent without an axis. */
  day?: string;
  anomaly: number;
  confirmed: number;
  failure: number;
  ok: number;
  measurements: number;
}

/** One entry of /api/v1/measurements' results. */
export interface OoniMeasurement {
  uid: string;
  startTime: string;
  anomaly: boolean;
  confirmed: boolean;
  failure: boolean;
  probeCc?: string;
  probeAsn?: string;
  input?: string;
  /** scores.analysis.blocking_type when OONI's analysis named one (e.g. 'dns', 'http-failure'). */
  blockingType?: string;
}

export interface OoniPolicy {
  /** Fewer usable (not failed) measurements than this in the window say nothing. */
  minMeasurements: number;
  /** Share of usable measurements that must be anomalies before they count as evidence. */
  anomalyRatio: number;
  /** Measurements older than this say nothing (seconds). */
  maxAgeSeconds: number;
}

export const DEFAULT_OONI_POLICY: OoniPolicy = { minMeasurements: 3, anomalyRatio: 0.5, maxAgeSeconds: 3 * 86_400 };

/** Where the API's answers for one target and one country came from, for facts and messages. */
export interface OoniQuery {
  target: string;
  domain: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

/** The vantage point OONI is in one country (one id per country: the store keeps one result per id). */
export function ooniVantage(country: string): Vantage {
  return { id: `ooni-${country.toLowerCase()}`, kind: 'ooni', country };
}

const MAX_ROWS = 1000;

function count(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new OoniDataError(`${where}: expected a count (a whole number, 0 or more)`);
  return v;
}

function optionalText(v: unknown, where: string, max = 200): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new OoniDataError(`${where}: expected a string of at most ${max} characters`);
  return v;
}

function flag(v: unknown, where: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new OoniDataError(`${where}: expected true or false`);
  return v;
}

function parseCounts(v: unknown, where: string): OoniCounts {
  if (!isRecord(v)) throw new OoniDataError(`${where}: expected an object`);
  const out: OoniCounts = {
    anomaly: count(v.anomaly_count, `${where}.anomaly_count`),
    confirmed: count(v.confirmed_count, `${where}.confirmed_count`),
    failure: count(v.failure_count, `${where}.failure_count`),
    ok: count(v.ok_count, `${where}.ok_count`),
    measurements: count(v.measurement_count, `${where}.measurement_count`),
  };
  const day = optionalText(v.measurement_start_day, `${where}.measurement_start_day`, 40);
  if (day !== undefined) {
    if (Number.isNaN(dayStart(day))) throw new OoniDataError(`${where}.measurement_start_day: expected a date, got '${day}'`);
    out.day = day;
  }
  return out;
}

/** /api/v1/aggregation's JSON: `result` is one row without an axis, a list of rows with one. */
export function parseOoniAggregation(v: unknown, where = 'OONI aggregation'): OoniCounts[] {
  if (!isRecord(v)) throw new OoniDataError(`${where}: expected a JSON object`);
  // Errors come back as {"msg": "...", "v": 0}, sometimes with status 200.
  if (v.result === undefined && typeof v.msg === 'string') throw new OoniDataError(`${where}: the API said: ${v.msg.slice(0, 300)}`);
  const result = v.result;
  if (Array.isArray(result)) {
    if (result.length > MAX_ROWS) throw new OoniDataError(`${where}.result: more than ${MAX_ROWS} rows`);
    return result.map((row, i) => parseCounts(row, `${where}.result[${i}]`));
  }
  return [parseCounts(result, `${where}.result`)];
}

function parseMeasurement(v: unknown, where: string): OoniMeasurement {
  if (!isRecord(v)) throw new OoniDataError(`${where}: expected an object`);
  const uid = optionalText(v.measurement_uid, `${where}.measurement_uid`, 100);
  if (uid === undefined) throw new OoniDataError(`${where}.measurement_uid: missing`);
  const startTime = optionalText(v.measurement_start_time, `${where}.measurement_start_time`, 40);
  if (startTime === undefined || Number.isNaN(Date.parse(startTime))) {
    throw new OoniDataError(`${where}.measurement_start_time: expected an ISO 8601 time`);
  }
  const out: OoniMeasurement = {
    uid,
    startTime,
    anomaly: flag(v.anomaly, `${where}.anomaly`),
    confirmed: flag(v.confirmed, `${where}.confirmed`),
    failure: flag(v.failure, `${where}.failure`),
  };
  const cc = optionalText(v.probe_cc, `${where}.probe_cc`, 2);
  if (cc !== undefined) out.probeCc = cc;
  // probe_asn is "AS4134" in the list (an integer in some other endpoints).
  const asn = typeof v.probe_asn === 'number' ? `AS${v.probe_asn}` : optionalText(v.probe_asn, `${where}.probe_asn`, 20);
  if (asn !== undefined) out.probeAsn = asn;
  const input = optionalText(v.input, `${where}.input`, 2000);
  if (input !== undefined) out.input = input;
  if (isRecord(v.scores) && isRecord(v.scores.analysis)) {
    const type = optionalText(v.scores.analysis.blocking_type, `${where}.scores.analysis.blocking_type`, 64);
    if (type !== undefined) out.blockingType = type;
  }
  return out;
}

/** /api/v1/measurements' JSON: {metadata, results: [...]}. */
export function parseOoniMeasurements(v: unknown, where = 'OONI measurements'): OoniMeasurement[] {
  if (!isRecord(v)) throw new OoniDataError(`${where}: expected a JSON object`);
  if (v.results === undefined && typeof v.msg === 'string') throw new OoniDataError(`${where}: the API said: ${v.msg.slice(0, 300)}`);
  if (!Array.isArray(v.results)) throw new OoniDataError(`${where}.results: expected a list`);
  if (v.results.length > MAX_ROWS) throw new OoniDataError(`${where}.results: more than ${MAX_ROWS} entries`);
  return v.results.map((m, i) => parseMeasurement(m, `${where}.results[${i}]`));
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** When a bucket starts: a day ('YYYY-MM-DD', UTC), or an hour ('YYYY-MM-DDTHH:MM:SSZ', the API's grain up to 7 days). */
function dayStart(day: string): number {
  return Date.parse(DATE_ONLY.test(day) ? `${day}T00:00:00Z` : day);
}

function bucketEnd(day: string): number {
  return dayStart(day) + (DATE_ONLY.test(day) ? 86_400_000 : 3_600_000);
}

type OoniClass = 'confirmed' | 'anomaly' | 'ok';

function classOf(m: OoniMeasurement): OoniClass | undefined {
  if (m.failure) return undefined;
  if (m.confirmed) return 'confirmed';
  return m.anomaly ? 'anomaly' : 'ok';
}

/**
 * The OONI report for one target in one country, or undefined when OONI has nothing recent or
 * not enough to say. `measurements` are the newest ones (any order); `days` the aggregation rows.
 */
export function toOoniResult(
  query: OoniQuery,
  days: readonly OoniCounts[],
  measurements: readonly OoniMeasurement[],
  now: Date,
  policy: OoniPolicy = DEFAULT_OONI_POLICY,
): ProbeResult | undefined {
  const nowMs = now.getTime();
  const oldest = nowMs - policy.maxAgeSeconds * 1000;
  // Rows without a day (no axis) are taken as within the window the adapter asked for.
  const recentDays = days.filter((d) => d.day === undefined || bucketEnd(d.day) > oldest);
  const recent = measurements.filter((m) => {
    const t = Date.parse(m.startTime);
    return t >= oldest && t <= nowMs + 300_000 && (m.probeCc === undefined || m.probeCc.toUpperCase() === query.country);
  });
  const total = sum(recentDays);
  // The list is only the newest page; the counts come from it only when the aggregation said nothing.
  const counts = total.measurements > 0 ? total : countsOf(recent);
  const usable = counts.measurements - counts.failure;
  if (usable < Math.max(1, policy.minMeasurements)) return undefined;

  const newestOf = (cls: OoniClass): OoniMeasurement | undefined =>
    recent.filter((m) => classOf(m) === cls).sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime))[0];
  const ageOf = (cls: OoniClass): number | undefined => {
    const m = newestOf(cls);
    if (m !== undefined) return Math.max(0, Math.round((nowMs - Date.parse(m.startTime)) / 1000));
    // Day resolution: the start of the newest day with such measurements (the oldest they can be).
    const starts = recentDays.filter((d) => d.day !== undefined && d[cls] > 0).map((d) => dayStart(d.day ?? ''));
    return starts.length === 0 ? undefined : Math.max(0, Math.round((nowMs - Math.max(...starts)) / 1000));
  };

  const cls: OoniClass = counts.confirmed > 0 ? 'confirmed' : counts.anomaly / usable >= policy.anomalyRatio ? 'anomaly' : 'ok';
  const age = ageOf(cls);
  if (age !== undefined && age > policy.maxAgeSeconds) return undefined;
  const example = newestOf(cls);
  const facts: Record<string, string | number | boolean> = {
    country: query.country,
    domain: query.domain,
    measurements: counts.measurements,
    ok: counts.ok,
    anomalies: counts.anomaly,
    confirmed: counts.confirmed,
    failures: counts.failure,
    windowDays: Math.round(policy.maxAgeSeconds / 86_400),
  };
  if (example !== undefined) facts.measurementUid = example.uid;
  if (example?.probeAsn !== undefined) facts.probeAsn = example.probeAsn;
  const types = [...new Set(recent.filter((m) => classOf(m) === cls && m.blockingType !== undefined).map((m) => m.blockingType))];
  if (types.length > 0) facts.blockingType = types.slice(0, 5).join(',');
  const ageText = age === undefined ? '' : `, newest ${describeAge(age)} ago`;
  const window = `in ${query.country} over the last ${describeAge(policy.maxAgeSeconds)}`;

  let evidence: Evidence;
  if (cls === 'confirmed') {
    evidence = {
      layer: 'ooni',
      code: 'ooni-confirmed',
      message: `OONI confirmed blocking of ${query.domain} ${window}: ${counts.confirmed} of ${usable} measurements matched a known block page${ageText}`,
      points: 'blocked',
      confirmed: true,
      facts,
    };
  } else if (cls === 'anomaly') {
    const how = types.length > 0 ? ` (${types.slice(0, 5).join(', ')})` : '';
    evidence = {
      layer: 'ooni',
      code: 'ooni-anomaly',
      message: `OONI saw anomalies for ${query.domain} ${window}: ${counts.anomaly} of ${usable} measurements${how}${ageText}; not confirmed, counts toward a quorum`,
      points: 'blocked',
      facts,
    };
  } else {
    evidence = {
      layer: 'ooni',
      code: 'ooni-ok',
      message: `OONI measured ${query.domain} reachable ${window}: ${counts.ok} of ${usable} measurements ok, ${counts.anomaly} anomalies${ageText}`,
      points: 'healthy',
      facts,
    };
  }
  if (age !== undefined) evidence.ageSeconds = age;
  return {
    target: query.target,
    vantage: ooniVantage(query.country),
    at: now.toISOString(),
    verdict: classifyEvidence([evidence]),
    evidence: [evidence],
  };
}

function sum(rows: readonly OoniCounts[]): OoniCounts {
  return rows.reduce<OoniCounts>(
    (a, r) => ({
      anomaly: a.anomaly + r.anomaly,
      confirmed: a.confirmed + r.confirmed,
      failure: a.failure + r.failure,
      ok: a.ok + r.ok,
      measurements: a.measurements + r.measurements,
    }),
    { anomaly: 0, confirmed: 0, failure: 0, ok: 0, measurements: 0 },
  );
}

/** Counts in the aggregation's own way (anomaly excludes confirmed; failures are neither). */
function countsOf(list: readonly OoniMeasurement[]): OoniCounts {
  const out: OoniCounts = { anomaly: 0, confirmed: 0, failure: 0, ok: 0, measurements: list.length };
  for (const m of list) {
    const cls = classOf(m);
    if (cls === undefined) out.failure++;
    else out[cls]++;
  }
  return out;
}

function describeAge(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
