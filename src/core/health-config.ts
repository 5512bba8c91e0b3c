// The `health` section of ferry.config.json: how often the health checker runs and how it decides.
// Data, validated once, defaults in one place, errors that name the file, the field and the fix.
// Pure: the parsed JSON comes in, a HealthConfig goes out.
import { ConfigError } from './config-error.ts';
import type { RoundPolicies } from './health/round-policies.ts';
import { isRecord } from './is-record.ts';

export interface HealthConfig {
  /** Run the checker in `ferry serve`. */
  enabled: boolean;
  /** Seconds between two rounds (default 300). */
  every: number;
  /** Consecutive worse rounds before a mirror's state worsens (default 3). */
  failuresToDown: number;
  /** Consecutive better rounds before it improves (default 2). */
  successesToUp: number;
  /** Least time between two canonical moves that the canonical going bad did not force, seconds. */
  cooldownSeconds: number;
  /** Vantage points in one country that must agree before a mirror is `blocked` there. */
  quorum: number;
  /** Countries watched for blocking (agents and OONI report from them), ISO 3166-1 alpha-2. */
  countries: string[];
  /** Reports from other vantage points count for this long, seconds (default: three rounds). */
  reportWindowSeconds: number;
  /** Deadline of one probe of one target, seconds. */
  timeoutSeconds: number;
  /** Probes run at once. */
  concurrency: number;
  /** Probe the origin too (when the source is a URL). */
  origin: boolean;
  /** A DNS-over-HTTPS resolver (RFC 8484) the system resolver's answers are compared with. */
  doh?: string;
  /** An address inside a watched country that runs no resolver: any answer to a query sent there was injected. */
  injectionProbe?: string;
  /**
   * Read OONI's measurements of the mirrors' and the origin's domains in the watched countries.
   * Off unless given: it tells OONI's public API which domains you watch.
   */
  ooni?: { baseUrl: string; everyMinutes: number };
  /** Read the Cloudflare Worker's cron probes: its address and the variable holding FERRY_HEALTH_TOKEN. */
  worker?: { url: string; tokenEnv: string };
}

export const DEFAULT_HEALTH_CONFIG: Readonly<HealthConfig> = {
  enabled: true,
  every: 300,
  failuresToDown: 3,
  successesToUp: 2,
  cooldownSeconds: 1800,
  quorum: 2,
  countries: ['CN'],
  reportWindowSeconds: 900,
  timeoutSeconds: 8,
  concurrency: 256,
  origin: true,
};

interface Range {
  min: number;
  max: number;
  /** Says what the number is, for the error: "seconds between two rounds". */
  means: string;
}

const NUMBERS = {
  every: { min: 1, max: 86_400, means: 'seconds between two rounds' },
  failuresToDown: { min: 1, max: 100, means: 'consecutive failing rounds before a mirror counts as down' },
  successesToUp: { min: 1, max: 100, means: 'consecutive good rounds before a mirror counts as back' },
  cooldownSeconds: { min: 0, max: 7 * 86_400, means: 'seconds between two canonical moves' },
  quorum: { min: 1, max: 100, means: 'vantage points in one country that must agree on a block' },
  reportWindowSeconds: { min: 1, max: 7 * 86_400, means: 'seconds a report from another vantage point counts' },
  timeoutSeconds: { min: 1, max: 300, means: 'seconds one probe may take' },
  concurrency: { min: 1, max: 256, means: 'probes at once' },
} as const satisfies Record<string, Range>;

const COUNTRY = /^[A-Z]{2}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Validate `raw` (the `health` value, or undefined when absent) from `file`. */
export function validateHealthConfig(raw: unknown, file: string): HealthConfig {
  if (raw === undefined) return { ...DEFAULT_HEALTH_CONFIG, countries: [...DEFAULT_HEALTH_CONFIG.countries] };
  if (!isRecord(raw)) throw new ConfigError(`${file}: health must be an object, e.g. {"every": 300}`);
  const known = [...Object.keys(DEFAULT_HEALTH_CONFIG), 'doh', 'injectionProbe', 'ooni', 'worker'];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new ConfigError(`${file}: health.${key} is unknown (known: ${known.sort().join(', ')})`);
  }
  const config: HealthConfig = { ...DEFAULT_HEALTH_CONFIG, countries: [...DEFAULT_HEALTH_CONFIG.countries] };
  for (const [key, range] of Object.entries(NUMBERS) as Array<[keyof typeof NUMBERS, Range]>) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
      throw new ConfigError(
        `${file}: health.${key} must be a whole number from ${range.min} to ${range.max} (${range.means}; default ${DEFAULT_HEALTH_CONFIG[key]}), not ${JSON.stringify(v)}`,
      );
    }
    config[key] = v;
  }
  if (raw.reportWindowSeconds === undefined)
    config.reportWindowSeconds = Math.max(DEFAULT_HEALTH_CONFIG.reportWindowSeconds, 3 * config.every);
  checkInterval(config.every, file);
  for (const key of ['enabled', 'origin'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new ConfigError(`${file}: health.${key} must be true or false`);
    config[key] = v;
  }
  if (raw.countries !== undefined) {
    const v = raw.countries;
    if (!Array.isArray(v) || !v.every((c) => typeof c === 'string' && COUNTRY.test(c.toUpperCase()))) {
      throw new ConfigError(`${file}: health.countries must be a list of two-letter country codes, e.g. ["CN", "IR"]`);
    }
    config.countries = [...new Set(v.map((c: string) => c.toUpperCase()))];
  }
  if (raw.doh !== undefined) {
    if (typeof raw.doh !== 'string' || !/^https:\/\/[^/?#]+\/\S*$/.test(raw.doh)) {
      throw new ConfigError(`${file}: health.doh must be a DNS-over-HTTPS URL, e.g. "https://dns.example.net/dns-query"`);
    }
    config.doh = raw.doh;
  }
  if (raw.injectionProbe !== undefined) {
    if (typeof raw.injectionProbe !== 'string' || !IPV4.test(raw.injectionProbe)) {
      throw new ConfigError(
        `${file}: health.injectionProbe must be an IPv4 address inside a watched country that runs no DNS resolver, e.g. "203.0.113.7"`,
      );
    }
    config.injectionProbe = raw.injectionProbe;
  }
  if (raw.ooni !== undefined) {
    const o = raw.ooni;
    if (!isRecord(o) || Object.keys(o).some((k) => k !== 'baseUrl' && k !== 'everyMinutes')) {
      throw new ConfigError(
        `${file}: health.ooni must be {"baseUrl": "https://api.ooni.io", "everyMinutes": 60} (both optional: {} turns OONI on)`,
      );
    }
    const baseUrl = o.baseUrl ?? 'https://api.ooni.io';
    if (typeof baseUrl !== 'string' || !/^https?:\/\/[^/?#]+/.test(baseUrl)) {
      throw new ConfigError(`${file}: health.ooni.baseUrl must be the OONI API's http(s) address, e.g. "https://api.ooni.io"`);
    }
    const everyMinutes = o.everyMinutes ?? 60;
    if (typeof everyMinutes !== 'number' || !Number.isInteger(everyMinutes) || everyMinutes < 5 || everyMinutes > 24 * 60) {
      throw new ConfigError(
        `${file}: health.ooni.everyMinutes must be a whole number from 5 to 1440 (OONI is a shared service; default 60)`,
      );
    }
    config.ooni = { baseUrl, everyMinutes };
  }
  if (raw.worker !== undefined) {
    const w = raw.worker;
    if (
      !isRecord(w) ||
      typeof w.url !== 'string' ||
      !/^https?:\/\/[^/?#]+/.test(w.url) ||
      Object.keys(w).some((k) => k !== 'url' && k !== 'tokenEnv')
    ) {
      throw new ConfigError(
        `${file}: health.worker must be {"url": "https://blog.example.org/", "tokenEnv": "FERRY_HEALTH_TOKEN"} (the Worker's address and the variable holding its token)`,
      );
    }
    const tokenEnv = w.tokenEnv ?? 'FERRY_HEALTH_TOKEN';
    if (typeof tokenEnv !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(tokenEnv)) {
      throw new ConfigError(
        `${file}: health.worker.tokenEnv must name an environment variable, e.g. "FERRY_HEALTH_TOKEN" (never the token itself)`,
      );
    }
    config.worker = { url: w.url, tokenEnv };
  }
  return config;
}

/**
 * The node-cron expression (with seconds) that fires every `every` seconds. Cron counts from the
 * minute or the hour, so the interval must divide a minute, an hour or a day evenly.
 */
export function healthCron(every: number): string | undefined {
  if (every < 60) return 60 % every === 0 ? `*/${every} * * * * *` : undefined;
  if (every % 60 !== 0) return undefined;
  const minutes = every / 60;
  if (minutes < 60) return 60 % minutes === 0 ? `0 */${minutes} * * * *` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  return 24 % hours === 0 ? `0 0 */${hours} * * *` : undefined;
}

function checkInterval(every: number, file: string): void {
  if (healthCron(every) !== undefined) return;
  throw new ConfigError(
    `${file}: health.every is ${every} seconds, which a schedule cannot repeat evenly: use a number that divides a minute (e.g. 30), an hour (e.g. 300, 600, 900) or a day (e.g. 3600, 21600)`,
  );
}

/** The policies of one check round, from the config. */
export function toRoundPolicies(config: HealthConfig): RoundPolicies {
  return {
    health: { failuresToDown: config.failuresToDown, successesToUp: config.successesToUp },
    round: { quorum: config.quorum },
    canonical: { cooldownMs: config.cooldownSeconds * 1000 },
    reportWindowMs: config.reportWindowSeconds * 1000,
  };
}
