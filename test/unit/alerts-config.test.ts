// The alerts section of ferry.config.json: each kind's fields and defaults, and bad config refused
// with a message naming the file, the alert, the field and the fix (unknown kind, bad URL, missing
// fields, a secret written in place of a variable name, an environment variable that is not set).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.ts';
import { checkAlertSecrets, validateAlerts } from '../../src/core/alerts-config.ts';
import { createAlerters } from '../../src/node/alerters.ts';

const FILE = '/srv/ferry/ferry.config.json';
const parse = (alerts: unknown): ReturnType<typeof parseConfig> => parseConfig(JSON.stringify({ alerts }), FILE);
const error = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('alerts config', () => {
  it('has none by default', () => {
    expect(parseConfig('{}', FILE).alerts).toEqual([]);
  });

  it('reads each kind with its defaults; an entry without an id gets its kind', () => {
    const { alerts } = parse([
      { kind: 'webhook', url: 'https://hooks.example.org/ferry' },
      { kind: 'webhook', urlEnv: 'SLACK_URL', repeatEverySeconds: 0 },
      {
        kind: 'smtp',
        host: 'smtp.example.org',
        from: 'Ferry <ferry@example.org>',
        to: ['ops@example.org'],
        user: 'ferry',
        passwordEnv: 'SMTP_PW',
      },
      { id: 'tg', kind: 'telegram', tokenEnv: 'TG_TOKEN', chatId: '@ferry_alerts', degraded: true },
    ]);
    expect(alerts).toEqual([
      { id: 'webhook', kind: 'webhook', url: 'https://hooks.example.org/ferry', repeatEverySeconds: 3600, degraded: false },
      { id: 'webhook-2', kind: 'webhook', urlEnv: 'SLACK_URL', repeatEverySeconds: 0, degraded: false },
      {
        id: 'smtp',
        kind: 'smtp',
        host: 'smtp.example.org',
        port: 587,
        secure: false,
        requireTls: true,
        from: 'Ferry <ferry@example.org>',
        to: ['ops@example.org'],
        user: 'ferry',
        passwordEnv: 'SMTP_PW',
        repeatEverySeconds: 3600,
        degraded: false,
      },
      {
        id: 'tg',
        kind: 'telegram',
        tokenEnv: 'TG_TOKEN',
        chatId: '@ferry_alerts',
        apiBase: 'https://api.telegram.org',
        repeatEverySeconds: 3600,
        degraded: true,
      },
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown kind',
      [{ kind: 'pager', url: 'https://x.example.org' }],
      `${FILE}: alert 'pager': kind must be one of webhook, smtp, telegram, e.g. "kind": "webhook"`,
    ],
    [
      'not a list',
      { kind: 'webhook' },
      `${FILE}: alerts must be a list of {"id", "kind", ...}, e.g. "alerts": [{"id": "a", "kind": "webhook", ...}]`,
    ],
    [
      'an http URL to another machine',
      [{ id: 'hook', kind: 'webhook', url: 'http://hooks.example.org/ferry' }],
      `${FILE}: alert 'hook': url must be an https URL (http only to 127.0.0.1 or localhost), e.g. "url": "https://hooks.example.org/ferry"`,
    ],
    [
      'no URL at all',
      [{ id: 'hook', kind: 'webhook' }],
      `${FILE}: alert 'hook': a webhook needs its address in url or, when the URL is itself a secret, the NAME of the variable holding it in urlEnv (one of the two), e.g. "url": "https://hooks.example.org/ferry"`,
    ],
    [
      'a token written where its variable name goes',
      [{ id: 'tg', kind: 'telegram', tokenEnv: '123456789:AAHk-abc', chatId: '-100123' }],
      `${FILE}: alert 'tg': tokenEnv must be the NAME of an environment variable (the secret itself never goes in this file), e.g. "tokenEnv": "FERRY_TELEGRAM_TOKEN"`,
    ],
    [
      'a chat that is not a chat id',
      [{ id: 'tg', kind: 'telegram', tokenEnv: 'TG', chatId: 'maintainers' }],
      `${FILE}: alert 'tg': chatId must be a numeric chat id ("-1001234567890") or a public channel ("@channelname"), e.g. "chatId": "-1001234567890"`,
    ],
    [
      'mail without recipients',
      [{ id: 'mail', kind: 'smtp', host: 'smtp.example.org', from: 'f@example.org', to: [] }],
      `${FILE}: alert 'mail': to must list at least one address, e.g. "to": ["maintainers@example.org"]`,
    ],
    [
      'a login without its password variable',
      [{ id: 'mail', kind: 'smtp', host: 'smtp.example.org', from: 'f@example.org', to: ['a@example.org'], user: 'ferry' }],
      `${FILE}: alert 'mail': user and passwordEnv go together`,
    ],
    [
      'a negative repeat interval',
      [{ id: 'hook', kind: 'webhook', url: 'https://h.example.org', repeatEverySeconds: -5 }],
      `${FILE}: alert 'hook': repeatEverySeconds must be a whole number from 0 to 604800 (how often a problem that lasts is told again; 0 never repeats), e.g. "repeatEverySeconds": 3600`,
    ],
    [
      'a misspelt field',
      [{ id: 'hook', kind: 'webhook', url: 'https://h.example.org', repeatEvery: 60 }],
      `${FILE}: alert 'hook': unknown field "repeatEvery" for kind webhook`,
    ],
  ])('refuses %s, naming the file, the field and the fix', (_name, alerts, message) => {
    expect(error(() => parse(alerts))).toContain(message);
  });

  it('names a missing environment variable, its field and what to export, before building any alerter', () => {
    const alerts = validateAlerts(
      [
        { id: 'hook', kind: 'webhook', url: 'https://h.example.org/x', secretEnv: 'HOOK_SECRET' },
        { id: 'tg', kind: 'telegram', tokenEnv: 'FERRY_TELEGRAM_TOKEN', chatId: '-100123' },
      ],
      FILE,
    );
    expect(error(() => createAlerters(alerts, { file: FILE, env: { HOOK_SECRET: 's' } }))).toBe(
      `${FILE}: alert 'tg': tokenEnv: environment variable FERRY_TELEGRAM_TOKEN is not set; export the bot token BotFather gave you under that name, or set tokenEnv to the variable that holds it`,
    );
    expect(error(() => checkAlertSecrets(alerts, { FERRY_TELEGRAM_TOKEN: 't', HOOK_SECRET: '  ' }, FILE))).toBe(
      `${FILE}: alert 'hook': secretEnv: environment variable HOOK_SECRET is not set; export the webhook's shared secret under that name, or set secretEnv to the variable that holds it`,
    );
    expect(
      createAlerters(alerts, { file: FILE, env: { HOOK_SECRET: 's', FERRY_TELEGRAM_TOKEN: 't' } }).map((a) => [
        a.alerter.id,
        a.alerter.kind,
      ]),
    ).toEqual([
      ['hook', 'webhook'],
      ['tg', 'telegram'],
    ]);
  });

  it('checks that a webhook URL kept in a variable is a URL', () => {
    const alerts = validateAlerts([{ id: 'slack', kind: 'webhook', urlEnv: 'SLACK_URL' }], FILE);
    expect(error(() => createAlerters(alerts, { file: FILE, env: { SLACK_URL: 'hooks.slack.com/services/x' } }))).toBe(
      `${FILE}: alert 'slack': urlEnv: the variable SLACK_URL must hold an https URL (http only to 127.0.0.1 or localhost)`,
    );
  });

  it("docs/alerts.md's example is a valid config, and its error messages are the ones Ferry gives", () => {
    const md = readFileSync(new URL('../../docs/alerts.md', import.meta.url), 'utf8');
    const example = md.split('## Example')[1]?.split('```json')[1]?.split('```')[0] ?? '';
    const { alerts } = parseConfig(example, 'ferry.config.json');
    expect(alerts.map((a) => `${a.id}:${a.kind}`)).toEqual(['ops-hook:webhook', 'mail:smtp', 'tg:telegram']);
    const flat = md.replace(/\s+/g, ' ');
    const unset = error(() =>
      createAlerters(alerts, { file: 'ferry.config.json', env: { FERRY_WEBHOOK_SECRET: 'x', FERRY_SMTP_PASSWORD: 'y' } }),
    );
    expect(flat).toContain(unset);
    const unknown = error(() => parseConfig(JSON.stringify({ alerts: [{ id: 'tg', kind: 'pager' }] }), 'ferry.config.json'));
    expect(flat).toContain(unknown);
  });
});
