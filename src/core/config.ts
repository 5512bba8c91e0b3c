// Ferry's configuration (ferry.config.json): data, validated once, defaults in one place, errors
// that name the file, the field and the fix. Pure: the text comes in, paths stay as written.
import { validateAlerts, type AlertConfig } from './alerts-config.ts';
import { ConfigError } from './config-error.ts';
import { DEFAULT_HEALTH_CONFIG, validateHealthConfig, type HealthConfig } from './health-config.ts';
import { PINNER_KINDS, POINTER_KINDS, type PinnerConfig, type PointerConfig } from './ipfs-config.ts';
import { validateKindList } from './kinds.ts';
import { validateTargets, type TargetConfig } from './targets-config.ts';

export { ConfigError } from './config-error.ts';

export interface FerryConfig {
  /** Feed URL, Markdown folder or feed file. */
  source: string;
  /** Where the snapshot is written (a link to versioned folders). */
  out: string;
  /** Data folder: state, media copies, keys of the embedded default. */
  data: string;
  /** The maintainers' mirror list. */
  mirrors: string;
  /** Canonical base URL; default: the first mirror by priority. */
  canonical?: string;
  /** Hosts readers must never be sent to (e.g. a compromised former site). */
  blockedHosts: string[];
  /** Extra hosts whose images are copied into the snapshot. */
  mediaHosts: string[];
  /** Days a signed manifest stays valid (readers refuse it after: no freeze). */
  expiresDays: number;
  /** Cron expressions (node-cron syntax) for the jobs `ferry serve` runs. */
  schedule: { republish: string };
  /** Limits for one republish run. */
  publish: { deadlineMinutes: number; retries: number; backoffSeconds: number };
  /**
   * Import each snapshot into the embedded IPFS block store (served at /ipfs/ by the edge); pin
   * each new root with the pinners, verify it through the gateways, and only then move the pointers.
   */
  ipfs: IpfsConfig;
  /** Where each snapshot is published besides the local folder. */
  targets: TargetConfig[];
  /** Heap budget of the build's worker thread, MB (a build over it fails; the last good snapshot stays). */
  buildMemoryMb: number;
  /** The health checker `ferry serve` runs (health-config.ts). */
  health: HealthConfig;
  /** Where the health checker's alerts go (src/core/alerts-config.ts; secrets by variable name). */
  alerts: AlertConfig[];
}

export interface IpfsConfig {
  embedded: boolean;
  pinners: PinnerConfig[];
  pointers: PointerConfig[];
  /** Trustless gateways the new root is fetched back from before any pointer moves. */
  gateways: Array<{ name: string; url: string }>;
  /** How many gateways must verify the root (at least 2 unless there is only one). */
  minGateways: number;
}

export const DEFAULT_CONFIG: FerryConfig = {
  source: 'examples/posts',
  out: '.ferry/site',
  data: '.ferry',
  mirrors: 'mirrors/mirrors.json',
  blockedHosts: [],
  mediaHosts: [],
  expiresDays: 14,
  schedule: { republish: '*/30 * * * *' },
  publish: { deadlineMinutes: 20, retries: 2, backoffSeconds: 30 },
  ipfs: { embedded: true, pinners: [], pointers: [], gateways: [], minGateways: 2 },
  targets: [],
  buildMemoryMb: 512,
  health: DEFAULT_HEALTH_CONFIG,
  alerts: [],
};

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function parseConfig(text: string, fileName: string): FerryConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${fileName}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${fileName}: expected a JSON object`);
  }
  const r = raw as Record<string, unknown>;
  const known = new Set([...Object.keys(DEFAULT_CONFIG), 'canonical', '$schema']);
  for (const key of Object.keys(r)) {
    if (!known.has(key)) throw new ConfigError(`${fileName}: unknown field "${key}" (known: ${[...known].sort().join(', ')})`);
  }
  const str = (key: 'source' | 'out' | 'data' | 'mirrors'): string => {
    const v = r[key] ?? DEFAULT_CONFIG[key];
    if (typeof v !== 'string' || v === '') throw new ConfigError(`${fileName}: ${key} must be a non-empty string`);
    return v;
  };
  const hosts = (key: 'blockedHosts' | 'mediaHosts'): string[] => {
    const v = r[key] ?? [];
    if (!Array.isArray(v) || !v.every((h) => typeof h === 'string' && HOST.test(h))) {
      throw new ConfigError(`${fileName}: ${key} must be a list of host names like "example.org"`);
    }
    return v.map((h: string) => h.toLowerCase());
  };
  const config: FerryConfig = {
    source: str('source'),
    out: str('out'),
    data: str('data'),
    mirrors: str('mirrors'),
    blockedHosts: hosts('blockedHosts'),
    mediaHosts: hosts('mediaHosts'),
    expiresDays: DEFAULT_CONFIG.expiresDays,
    schedule: { ...DEFAULT_CONFIG.schedule },
    publish: { ...DEFAULT_CONFIG.publish },
    ipfs: { ...DEFAULT_CONFIG.ipfs, pinners: [], pointers: [], gateways: [] },
    targets: validateTargets(r.targets, fileName),
    buildMemoryMb: DEFAULT_CONFIG.buildMemoryMb,
    health: validateHealthConfig(r.health, fileName),
    alerts: validateAlerts(r.alerts, fileName),
  };
  if (r.buildMemoryMb !== undefined) {
    if (typeof r.buildMemoryMb !== 'number' || !Number.isInteger(r.buildMemoryMb) || r.buildMemoryMb < 64 || r.buildMemoryMb > 65536) {
      throw new ConfigError(`${fileName}: buildMemoryMb must be a whole number of MB from 64 to 65536`);
    }
    config.buildMemoryMb = r.buildMemoryMb;
  }
  const section = (key: string): Record<string, unknown> => {
    const v = r[key] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${fileName}: ${key} must be an object`);
    return v as Record<string, unknown>;
  };
  const schedule = section('schedule');
  for (const key of Object.keys(schedule)) {
    if (key !== 'republish') throw new ConfigError(`${fileName}: schedule.${key} is unknown (known: republish)`);
  }
  if (schedule.republish !== undefined) {
    if (typeof schedule.republish !== 'string' || schedule.republish.trim().split(/\s+/).length < 5) {
      throw new ConfigError(`${fileName}: schedule.republish must be a cron expression like "*/30 * * * *"`);
    }
    config.schedule.republish = schedule.republish;
  }
  const publish = section('publish');
  const limits = { deadlineMinutes: [1, 24 * 60], retries: [0, 10], backoffSeconds: [0, 3600] } as const;
  for (const key of Object.keys(publish)) {
    if (!(key in limits)) throw new ConfigError(`${fileName}: publish.${key} is unknown (known: ${Object.keys(limits).join(', ')})`);
  }
  for (const [key, [min, max]] of Object.entries(limits)) {
    const v = publish[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${fileName}: publish.${key} must be a whole number from ${min} to ${max}`);
    }
    config.publish[key as keyof typeof limits] = v;
  }
  const ipfs = section('ipfs');
  for (const key of Object.keys(ipfs)) {
    if (!(key in DEFAULT_CONFIG.ipfs))
      throw new ConfigError(`${fileName}: ipfs.${key} is unknown (known: ${Object.keys(DEFAULT_CONFIG.ipfs).join(', ')})`);
  }
  if (ipfs.embedded !== undefined) {
    if (typeof ipfs.embedded !== 'boolean') throw new ConfigError(`${fileName}: ipfs.embedded must be true or false`);
    config.ipfs.embedded = ipfs.embedded;
  }
  config.ipfs.pinners = validateKindList(ipfs.pinners ?? [], { file: fileName, list: 'ipfs.pinners', noun: 'pinner' }, PINNER_KINDS);
  config.ipfs.pointers = validateKindList(ipfs.pointers ?? [], { file: fileName, list: 'ipfs.pointers', noun: 'pointer' }, POINTER_KINDS);
  if (ipfs.gateways !== undefined) {
    if (!Array.isArray(ipfs.gateways)) throw new ConfigError(`${fileName}: ipfs.gateways must be a list of {"name", "url"}`);
    config.ipfs.gateways = ipfs.gateways.map((g: unknown, i) => {
      const o = typeof g === 'object' && g !== null ? (g as Record<string, unknown>) : {};
      if (typeof o.name !== 'string' || o.name === '' || typeof o.url !== 'string' || !/^https?:\/\/[^/]+/.test(o.url)) {
        throw new ConfigError(
          `${fileName}: ipfs.gateways[${i}] needs a name and an http(s) url, e.g. {"name": "edge-a", "url": "https://mirror-a.example.org"}`,
        );
      }
      return { name: o.name, url: o.url };
    });
  }
  if (ipfs.minGateways !== undefined) {
    if (typeof ipfs.minGateways !== 'number' || !Number.isInteger(ipfs.minGateways) || ipfs.minGateways < 1) {
      throw new ConfigError(`${fileName}: ipfs.minGateways must be a whole number, at least 1`);
    }
    config.ipfs.minGateways = ipfs.minGateways;
  }
  if (config.ipfs.pointers.length > 0 && (config.ipfs.pinners.length === 0 || config.ipfs.gateways.length < config.ipfs.minGateways)) {
    throw new ConfigError(
      `${fileName}: ipfs.pointers need at least one pinner and ${config.ipfs.minGateways} gateways: a pointer never moves to a root that is not pinned and verified`,
    );
  }
  if (config.ipfs.pinners.length > 0 && !config.ipfs.embedded) {
    throw new ConfigError(`${fileName}: ipfs.pinners need ipfs.embedded: true (the blocks to pin come from the embedded store)`);
  }
  if (r.expiresDays !== undefined) {
    if (typeof r.expiresDays !== 'number' || !(r.expiresDays > 0 && r.expiresDays <= 365)) {
      throw new ConfigError(`${fileName}: expiresDays must be a number of days between 1 and 365`);
    }
    config.expiresDays = r.expiresDays;
  }
  if (r.canonical !== undefined) {
    if (typeof r.canonical !== 'string' || !/^https?:\/\/[^/]+/.test(r.canonical)) {
      throw new ConfigError(`${fileName}: canonical must be an http(s) URL like "https://blog.example.org/"`);
    }
    config.canonical = r.canonical.endsWith('/') ? r.canonical : `${r.canonical}/`;
  }
  return config;
}
