// OONI as a vantage point: reads the OONI API (https://api.ooni.io by default, configurable) for
// each target's domain in each watched country — /api/v1/aggregation (web_connectivity counts per
// day) and /api/v1/measurements (the newest measurements, for their age and what OONI's analysis
// called the blocking) — and turns the answers into reports through the pure toOoniResult.
// Every call goes through the one HTTP helper (deadline, abort, capped body). A call that times
// out, is too large or answers something malformed gives a problem naming the URL and no evidence
// for that target and country; it never throws for what the API did.
import { FetchError } from '../../ports/fetch.ts';
import type { ProbeTarget } from '../../ports/prober.ts';
import type { ProbeResult } from '../../core/health/observation.ts';
import {
  DEFAULT_OONI_POLICY,
  OoniDataError,
  parseOoniAggregation,
  parseOoniMeasurements,
  toOoniResult,
  type OoniCounts,
  type OoniMeasurement,
  type OoniPolicy,
} from '../../core/health/ooni-evidence.ts';
import { ConfigError } from '../../core/config-error.ts';
import { createHttpCall, excerpt, type HttpCall } from '../web/http-call.ts';

export const DEFAULT_OONI_API = 'https://api.ooni.io';

export interface OoniSourceOptions {
  /** The API's base URL (default https://api.ooni.io); paths /api/v1/... are added to it. */
  baseUrl?: string;
  /** Countries to read, ISO 3166-1 alpha-2 (default ['CN']). */
  countries?: readonly string[];
  http?: HttpCall;
  now?: () => Date;
  /** Deadline of one API call, ms (default 20 s: the API is slow on wide queries). */
  timeoutMs?: number;
  /** Largest answer accepted, bytes (default 2 MiB). */
  maxBytes?: number;
  /** Newest measurements asked for per domain and country (default 50). */
  limit?: number;
  /** Queries (one domain in one country, two calls) at once (default 4: the API is shared). */
  concurrency?: number;
  policy?: OoniPolicy;
}

/** Something that went wrong reading OONI for one target in one country: no evidence came of it. */
export interface OoniProblem {
  target: string;
  country: string;
  url: string;
  message: string;
}

export interface OoniReadout {
  results: ProbeResult[];
  problems: OoniProblem[];
  /** Targets and countries OONI had nothing recent or enough about (no report, not an error). */
  silent: { target: string; country: string }[];
}

export interface OoniSource {
  read(targets: readonly ProbeTarget[], signal?: AbortSignal): Promise<OoniReadout>;
}

const COUNTRY = /^[A-Z]{2}$/;

export function createOoniSource({
  baseUrl = DEFAULT_OONI_API,
  countries = ['CN'],
  http = createHttpCall(),
  now = () => new Date(),
  timeoutMs = 20_000,
  maxBytes = 2 * 1024 * 1024,
  limit = 50,
  concurrency = 4,
  policy = DEFAULT_OONI_POLICY,
}: OoniSourceOptions = {}): OoniSource {
  const base = apiBase(baseUrl);
  const ccs = countries.map((c) => c.toUpperCase());
  for (const c of ccs) if (!COUNTRY.test(c)) throw new ConfigError(`OONI countries: '${c}' is not a two-letter country code such as "CN"`);

  const urlOf = (path: string, params: Record<string, string>): string => `${base}${path}?${new URLSearchParams(params).toString()}`;
  const getJson = async (url: string, signal: AbortSignal | undefined): Promise<unknown> => {
    const res = await http(url, { timeoutMs, maxBytes, signal, headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new FetchError(url, 'http-status', `answered HTTP ${res.status}: ${excerpt(res.body, 200)}`, res.status);
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body)) as unknown;
    } catch {
      throw new OoniDataError(`${url}: the answer is not JSON (${excerpt(res.body, 80)})`);
    }
  };

  return {
    async read(targets, signal) {
      const at = now();
      const since = isoDay(new Date(at.getTime() - policy.maxAgeSeconds * 1000));
      const until = isoDay(new Date(at.getTime() + 86_400_000)); // the API's until is exclusive
      const jobs = targets.flatMap((t) => {
        const domain = domainOf(t.url);
        return domain === undefined ? [] : ccs.map((country) => ({ target: t.id, domain, country }));
      });
      // One pair of calls per domain and country, shared by targets on the same domain.
      const answers = new Map<string, Promise<{ days: OoniCounts[]; list: OoniMeasurement[] } | OoniProblem>>();
      const fetchOne = async (
        domain: string,
        country: string,
        target: string,
      ): Promise<{ days: OoniCounts[]; list: OoniMeasurement[] } | OoniProblem> => {
        const common = { probe_cc: country, domain, test_name: 'web_connectivity', since, until };
        const aggUrl = urlOf('/api/v1/aggregation', { ...common, axis_x: 'measurement_start_day' });
        const listUrl = urlOf('/api/v1/measurements', {
          ...common,
          order_by: 'measurement_start_time',
          order: 'desc',
          limit: String(limit),
        });
        let url = aggUrl;
        try {
          const days = parseOoniAggregation(await getJson(aggUrl, signal), `OONI aggregation (${domain}, ${country})`);
          url = listUrl;
          const list = parseOoniMeasurements(await getJson(listUrl, signal), `OONI measurements (${domain}, ${country})`);
          return { days, list };
        } catch (e) {
          if (e instanceof FetchError || e instanceof OoniDataError) return { target, country, url, message: e.message };
          throw e;
        }
      };
      const out: OoniReadout = { results: [], problems: [], silent: [] };
      await mapLimit(jobs, concurrency, async ({ target, domain, country }) => {
        const key = `${domain}\0${country}`;
        let answer = answers.get(key);
        if (answer === undefined) {
          answer = fetchOne(domain, country, target);
          answers.set(key, answer);
        }
        const got = await answer;
        if ('message' in got) {
          out.problems.push({ ...got, target });
          return;
        }
        const result = toOoniResult({ target, domain, country }, got.days, got.list, at, policy);
        if (result === undefined) out.silent.push({ target, country });
        else out.results.push(result);
      });
      return out;
    },
  };
}

function apiBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`OONI API base URL '${raw}' is not a URL; use e.g. ${DEFAULT_OONI_API}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`OONI API base URL '${raw}' must be http(s), e.g. ${DEFAULT_OONI_API}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The host OONI files measurements under (its `domain` column), or undefined for a non-URL. */
function domainOf(url: string): string | undefined {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host.length >= 3 ? host : undefined;
  } catch {
    return undefined;
  }
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = items[next++];
      if (item === undefined) return;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
