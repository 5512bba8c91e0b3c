// Alerts as data (ferry.config.json "alerts"): one entry per kind, the fields it takes (kinds.ts
// derives the typed config, validates it and sets defaults); each kind's factory is in
// src/node/alerters.ts, checked by the compiler against this table. Secrets are never here: only
// the names of the environment variables that hold them, checked with checkAlertSecrets when the
// alerters are built (not when the file is read: `ferry build` needs no alert secrets). Pure.
import { ConfigError } from './config-error.ts';
import { isRecord } from './is-record.ts';
import { defineKinds, validateKindList, type EnvField, type KindConfig } from './kinds.ts';

/** An https URL; http only to the machine itself (a local relay, the tests). */
export const ALERT_URL = /^(https:\/\/[^/\s?#]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)(\/\S*)?$/i;
export const URL_MEANS = 'an https URL (http only to 127.0.0.1 or localhost)';
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$/i;
const ADDRESS = /^[^\s@<>",]+@[^\s@<>",]+$/;
/** Display name and address ("Ferry <ferry@example.org>") or the address alone. */
const FROM = /^([^<>\r\n]*<[^\s@<>",]+@[^\s@<>",]+>|[^\s@<>",]+@[^\s@<>",]+)$/;

const COMMON = {
  repeatEverySeconds: {
    type: 'number',
    integer: true,
    min: 0,
    max: 7 * 86_400,
    default: 3600,
    hint: 'how often a problem that lasts is told again; 0 never repeats',
    example: '3600',
  },
  degraded: { type: 'boolean', default: false, hint: 'also alert when a mirror is only slow or partly failing', example: 'true' },
} as const;

export const ALERT_KINDS = defineKinds({
  /** POST of a JSON document (text plus the items as data), optionally signed with HMAC-SHA256. */
  webhook: {
    url: { type: 'string', pattern: ALERT_URL, means: URL_MEANS, example: '"https://hooks.example.org/ferry"' },
    urlEnv: { type: 'env', example: '"FERRY_WEBHOOK_URL"', hint: 'instead of url, when the URL itself is the secret (Slack, Discord)' },
    secretEnv: { type: 'env', example: '"FERRY_WEBHOOK_SECRET"', hint: 'signs the body: X-Ferry-Signature: sha256=<hex HMAC>' },
    ...COMMON,
  },
  /** E-mail through an SMTP server (STARTTLS required unless `secure` or `requireTls: false`). */
  smtp: {
    host: { type: 'string', required: true, pattern: HOST, means: 'a host name like "smtp.example.org"', example: '"smtp.example.org"' },
    port: { type: 'number', integer: true, min: 1, max: 65_535, default: 587, example: '587' },
    secure: { type: 'boolean', default: false, hint: 'TLS from the first byte, usually port 465', example: 'true' },
    requireTls: {
      type: 'boolean',
      default: true,
      hint: 'refuse to send without STARTTLS; false only for a relay on this machine',
      example: 'true',
    },
    from: {
      type: 'string',
      required: true,
      pattern: FROM,
      means: 'an address, optionally with a name: "Ferry <ferry@example.org>"',
      example: '"Ferry <ferry@example.org>"',
    },
    to: { type: 'string[]', required: true, example: '["maintainers@example.org"]' },
    user: { type: 'string', example: '"ferry@example.org"' },
    passwordEnv: { type: 'env', example: '"FERRY_SMTP_PASSWORD"' },
    ...COMMON,
  },
  /** A message from a bot (Bot API sendMessage) to a chat, a group or a channel. */
  telegram: {
    tokenEnv: { type: 'env', required: true, example: '"FERRY_TELEGRAM_TOKEN"' },
    chatId: {
      type: 'string',
      required: true,
      pattern: /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/,
      means: 'a numeric chat id ("-1001234567890") or a public channel ("@channelname")',
      example: '"-1001234567890"',
    },
    apiBase: {
      type: 'string',
      default: 'https://api.telegram.org',
      pattern: ALERT_URL,
      means: URL_MEANS,
      hint: 'a self-hosted Bot API server',
      example: '"https://api.telegram.org"',
    },
    ...COMMON,
  },
});

export type AlertKind = keyof typeof ALERT_KINDS;

/** One validated alert: `AlertConfig<'smtp'>` has host, port, from, to, repeatEverySeconds... */
export type AlertConfig<K extends AlertKind = AlertKind> = KindConfig<typeof ALERT_KINDS, K>;

/**
 * The "alerts" list of a config file (none: []). An entry without an id gets its kind as id
 * (the second of a kind `webhook-2`, ...): the alert log is kept per id, so give each one an id
 * of its own to keep it when the list is reordered.
 */
export function validateAlerts(raw: unknown, fileName: string): AlertConfig[] {
  const source = { file: fileName, list: 'alerts', noun: 'alert' };
  const withIds = Array.isArray(raw) ? defaultIds(raw) : (raw ?? []);
  const alerts = validateKindList(withIds, source, ALERT_KINDS);
  for (const a of alerts) {
    const at = `${fileName}: alert '${a.id}'`;
    if (a.kind === 'webhook' && (a.url === undefined) === (a.urlEnv === undefined)) {
      throw new ConfigError(
        `${at}: a webhook needs its address in url or, when the URL is itself a secret, the NAME of the variable holding it in urlEnv (one of the two), e.g. "url": "https://hooks.example.org/ferry"`,
      );
    }
    if (a.kind !== 'smtp') continue;
    if (a.to.length === 0) throw new ConfigError(`${at}: to must list at least one address, e.g. "to": ["maintainers@example.org"]`);
    const bad = a.to.find((t) => !ADDRESS.test(t));
    if (bad !== undefined) throw new ConfigError(`${at}: to: "${bad}" is not an e-mail address, e.g. "to": ["maintainers@example.org"]`);
    if ((a.user === undefined) !== (a.passwordEnv === undefined)) {
      throw new ConfigError(
        `${at}: user and passwordEnv go together (the server's login and the NAME of the variable holding its password), e.g. "user": "ferry@example.org", "passwordEnv": "FERRY_SMTP_PASSWORD"`,
      );
    }
  }
  return alerts;
}

function defaultIds(raw: readonly unknown[]): unknown[] {
  const used = new Set(raw.flatMap((e) => (isRecord(e) && typeof e.id === 'string' ? [e.id] : [])));
  return raw.map((entry) => {
    if (!isRecord(entry) || entry.id !== undefined || typeof entry.kind !== 'string') return entry;
    let id = entry.kind;
    for (let n = 2; used.has(id); n++) id = `${entry.kind}-${n}`;
    used.add(id);
    return { id, ...entry };
  });
}

/** What each secret is, for the message when its variable is not set. */
const SECRET_FIX: Readonly<Record<string, string>> = {
  urlEnv: 'export the webhook URL under that name',
  secretEnv: "export the webhook's shared secret under that name",
  passwordEnv: "export the SMTP account's password under that name",
  tokenEnv: 'export the bot token BotFather gave you under that name',
};

/**
 * Every environment variable the alerts name is set (and not blank). Throws a ConfigError naming
 * the file, the alert, the field and the variable, and what to do. `env` is a parameter: core
 * never reads the environment.
 */
export function checkAlertSecrets(
  alerts: readonly AlertConfig[],
  env: Readonly<Record<string, string | undefined>>,
  fileName: string,
): void {
  for (const alert of alerts) {
    const fields: Readonly<Record<string, { type: string }>> = ALERT_KINDS[alert.kind];
    const values: Readonly<Record<string, unknown>> = alert;
    for (const [name, field] of Object.entries(fields)) {
      if (field.type !== ('env' satisfies EnvField['type'])) continue;
      const variable = values[name];
      if (typeof variable !== 'string') continue;
      const value = env[variable];
      if (value === undefined || value.trim() === '') {
        throw new ConfigError(
          `${fileName}: alert '${alert.id}': ${name}: environment variable ${variable} is not set; ${SECRET_FIX[name] ?? 'export it'}, or set ${name} to the variable that holds it`,
        );
      }
    }
  }
}
