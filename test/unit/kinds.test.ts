// Kinds as data: one table of fields per list of kinds gives the typed config, the validator and
// the type of each runtime's factories. Table-driven: every error names the file, the entry and the
// field, and says what to fix; the types are checked by tsc (this file is type-checked).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from '../../src/core/config-error.ts';
import { createKinds, defineKinds, validateKindList, type KindConfig, type KindFactories } from '../../src/core/kinds.ts';
import { TARGET_KINDS, type TargetConfig } from '../../src/core/targets-config.ts';
import { MIRROR_KINDS, type MirrorConfig } from '../../src/core/mirrors-config.ts';

/** A table shaped like the alert kinds that come next, covering every field type. */
const ALERT_KINDS = defineKinds({
  webhook: {
    url: { type: 'base-url', required: true, example: '"https://hooks.example.org/ferry/"' },
    tokenEnv: { type: 'env', example: '"FERRY_HOOK_TOKEN"' },
    retries: { type: 'number', integer: true, min: 0, max: 10, default: 3, example: '3' },
    weight: { type: 'number', hint: 'higher is louder', example: '1.5' },
    quiet: { type: 'boolean', example: 'true' },
    channel: { type: 'string', pattern: /^#[a-z-]+$/, means: 'a channel name starting with #', example: '"#ops"' },
    tags: { type: 'string[]', example: '["ops", "blog"]' },
  },
  smtp: {
    host: { type: 'string', required: true, example: '"smtp.example.org"' },
    port: { type: 'number', integer: true, min: 1, max: 65535, default: 587, example: '587' },
  },
});

const where = { file: 'ferry.config.json', list: 'alerts', noun: 'alert' };
const validate = (raw: unknown, kinds?: readonly string[]): KindConfig<typeof ALERT_KINDS>[] =>
  validateKindList(raw, where, ALERT_KINDS, kinds);
const hook = (fields: Record<string, unknown>): unknown[] => [{ id: 'ops', kind: 'webhook', url: 'https://hooks.example.org/', ...fields }];

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('validateKindList: every error names the file, the entry and the field, and the fix', () => {
  // [case, input, entry named, field named, the whole message]
  const cases: Array<[string, unknown, string, string, string]> = [
    [
      'not a list',
      { webhook: {} },
      'alerts',
      'alerts',
      'ferry.config.json: alerts must be a list of {"id", "kind", ...}, e.g. "alerts": [{"id": "a", "kind": "webhook", ...}]',
    ],
    [
      'an entry that is not an object',
      ['ops'],
      'alerts[0]',
      'id and a kind',
      'ferry.config.json: alerts[0] must be an object with an id and a kind, e.g. {"id": "a", "kind": "webhook", ...}',
    ],
    [
      'no id',
      [{ kind: 'smtp', host: 'x' }],
      'alerts[0]',
      'id',
      "ferry.config.json: alerts[0]: id must be 1-64 letters, digits, '.', '_' or '-' (e.g. \"gh-pages\")",
    ],
    [
      'an id with a slash',
      [{ id: 'a/b', kind: 'smtp', host: 'x' }],
      'alerts[0]',
      'id',
      "ferry.config.json: alerts[0]: id must be 1-64 letters, digits, '.', '_' or '-' (e.g. \"gh-pages\")",
    ],
    [
      'an id used twice',
      [
        { id: 'ops', kind: 'smtp', host: 'a' },
        { id: 'ops', kind: 'smtp', host: 'b' },
      ],
      "alert 'ops'",
      'id',
      "ferry.config.json: alert 'ops': id is used twice (alerts[0] and alerts[1]); give each alert its own id",
    ],
    [
      'an unknown kind',
      [{ id: 'ops', kind: 'pager' }],
      "alert 'ops'",
      'kind',
      'ferry.config.json: alert \'ops\': kind must be one of webhook, smtp, e.g. "kind": "webhook"',
    ],
    [
      'no kind',
      [{ id: 'ops' }],
      "alert 'ops'",
      'kind',
      'ferry.config.json: alert \'ops\': kind must be one of webhook, smtp, e.g. "kind": "webhook"',
    ],
    [
      'an unknown field (a typo)',
      hook({ retrys: 2 }),
      "alert 'ops'",
      '"retrys"',
      'ferry.config.json: alert \'ops\': unknown field "retrys" for kind webhook (known: id, kind, url, tokenEnv, retries, weight, quiet, channel, tags); remove it or correct its name',
    ],
    [
      'a required field missing',
      [{ id: 'mail', kind: 'smtp' }],
      "alert 'mail'",
      'host',
      'ferry.config.json: alert \'mail\': kind \'smtp\' needs host, e.g. "host": "smtp.example.org"',
    ],
    [
      'an empty string',
      [{ id: 'mail', kind: 'smtp', host: '' }],
      "alert 'mail'",
      'host',
      'ferry.config.json: alert \'mail\': host must be a non-empty string, e.g. "host": "smtp.example.org"',
    ],
    [
      'a number where a string belongs',
      [{ id: 'mail', kind: 'smtp', host: 25 }],
      "alert 'mail'",
      'host',
      'ferry.config.json: alert \'mail\': host must be a non-empty string, e.g. "host": "smtp.example.org"',
    ],
    [
      'a string that does not match its pattern',
      hook({ channel: 'ops' }),
      "alert 'ops'",
      'channel',
      'ferry.config.json: alert \'ops\': channel must be a channel name starting with #, e.g. "channel": "#ops"',
    ],
    [
      'a secret where the name of its environment variable belongs',
      hook({ tokenEnv: 'xoxb-1234-secret' }),
      "alert 'ops'",
      'tokenEnv',
      'ferry.config.json: alert \'ops\': tokenEnv must be the NAME of an environment variable (the secret itself never goes in this file), e.g. "tokenEnv": "FERRY_HOOK_TOKEN"',
    ],
    [
      'a string where a boolean belongs',
      hook({ quiet: 'yes' }),
      "alert 'ops'",
      'quiet',
      'ferry.config.json: alert \'ops\': quiet must be true or false, e.g. "quiet": true',
    ],
    [
      'a string where a number belongs (with its hint)',
      hook({ weight: '2' }),
      "alert 'ops'",
      'weight',
      'ferry.config.json: alert \'ops\': weight must be a number (higher is louder), e.g. "weight": 1.5',
    ],
    [
      'a fraction where a whole number belongs',
      hook({ retries: 1.5 }),
      "alert 'ops'",
      'retries',
      'ferry.config.json: alert \'ops\': retries must be a whole number from 0 to 10, e.g. "retries": 3',
    ],
    [
      'a number out of range',
      [{ id: 'mail', kind: 'smtp', host: 'x', port: 70000 }],
      "alert 'mail'",
      'port',
      'ferry.config.json: alert \'mail\': port must be a whole number from 1 to 65535, e.g. "port": 587',
    ],
    [
      'a list with a non-string',
      hook({ tags: ['ops', 1] }),
      "alert 'ops'",
      'tags',
      'ferry.config.json: alert \'ops\': tags must be a list of strings, e.g. "tags": ["ops", "blog"]',
    ],
    [
      'a string where a list belongs',
      hook({ tags: 'ops' }),
      "alert 'ops'",
      'tags',
      'ferry.config.json: alert \'ops\': tags must be a list of strings, e.g. "tags": ["ops", "blog"]',
    ],
    [
      'a URL with an empty port',
      hook({ url: 'http://127.0.0.1:/' }),
      "alert 'ops'",
      'url',
      "ferry.config.json: alert 'ops': url has an empty port after ':'; write a port from 1 to 65535 or leave out the ':', e.g. \"url\": \"https://hooks.example.org/ferry/\"",
    ],
    [
      'a URL that is not a string',
      hook({ url: ['https://hooks.example.org/'] }),
      "alert 'ops'",
      'url',
      'ferry.config.json: alert \'ops\': url must be an http(s) URL in a string, e.g. "url": "https://hooks.example.org/ferry/"',
    ],
  ];
  it.each(cases)('%s', (_name, raw, entry, field, message) => {
    const error = errorOf(() => validate(raw));
    expect(error.message).toBe(message);
    expect(error.message.startsWith('ferry.config.json: ')).toBe(true);
    expect(error.message).toContain(entry);
    expect(error.message).toContain(field);
    // The fix: an example of a valid value, or what to do.
    expect(error.message).toMatch(/e\.g\. |give each alert its own id|remove it or correct its name/);
  });

  it('a kind this runtime cannot build is named as such', () => {
    const error = errorOf(() => validate([{ id: 'mail', kind: 'smtp', host: 'x' }], ['webhook']));
    expect(error.message).toBe(
      'ferry.config.json: alert \'mail\': kind must be one of webhook (\'smtp\' is not available here), e.g. "kind": "webhook"',
    );
  });
});

describe('validateKindList: typed configs with defaults set', () => {
  it('keeps the given fields, sets defaults, normalises base URLs, adds nothing else', () => {
    const configs = validate([
      { id: 'ops', kind: 'webhook', url: 'https://hooks.example.org/ferry', tags: ['ops'], quiet: false },
      { id: 'mail', kind: 'smtp', host: 'smtp.example.org', port: 25 },
      { id: 'mail-2', kind: 'smtp', host: 'smtp.example.org' },
    ]);
    expect(configs).toEqual([
      { id: 'ops', kind: 'webhook', url: 'https://hooks.example.org/ferry/', retries: 3, tags: ['ops'], quiet: false },
      { id: 'mail', kind: 'smtp', host: 'smtp.example.org', port: 25 },
      { id: 'mail-2', kind: 'smtp', host: 'smtp.example.org', port: 587 },
    ]);
    expect(Object.keys(configs[0] ?? {})).not.toContain('tokenEnv');
    expect(validate([])).toEqual([]);
  });

  it('derives each kind config from its fields: required and defaulted present, the rest optional', () => {
    expectTypeOf<KindConfig<typeof ALERT_KINDS, 'smtp'>>().toEqualTypeOf<{ id: string; kind: 'smtp'; host: string; port: number }>();
    expectTypeOf<KindConfig<typeof ALERT_KINDS, 'webhook'>>().toEqualTypeOf<{
      id: string;
      kind: 'webhook';
      url: string;
      retries: number;
      tokenEnv?: string;
      weight?: number;
      quiet?: boolean;
      channel?: string;
      tags?: string[];
    }>();
    expectTypeOf<TargetConfig<'git'>>().toEqualTypeOf<{
      id: string;
      kind: 'git';
      remote: string;
      branch: string;
      tokenEnv?: string;
      nojekyll?: boolean;
      keep?: string[];
    }>();
    expectTypeOf<MirrorConfig<'ipfs-gateway'>>().toEqualTypeOf<{
      id: string;
      kind: 'ipfs-gateway';
      url: string;
      cid: string;
      priority: number;
    }>();
    // The union narrows on kind.
    const config = validate([{ id: 'mail', kind: 'smtp', host: 'x' }])[0];
    if (config?.kind === 'smtp') expectTypeOf(config.host).toEqualTypeOf<string>();
  });
});

describe('factories are tied to the table by type, and createKinds builds through them', () => {
  it('builds each entry with its kind factory and the runtime deps', () => {
    const factories: KindFactories<typeof ALERT_KINDS, { prefix: string }, string> = {
      webhook: (c, d) => `${d.prefix}${c.kind} ${c.url} x${c.retries}`,
      smtp: (c, d) => `${d.prefix}${c.kind} ${c.host}:${c.port}`,
    };
    const configs = validate([
      { id: 'ops', kind: 'webhook', url: 'https://hooks.example.org/' },
      { id: 'mail', kind: 'smtp', host: 'smtp.example.org' },
    ]);
    expect(createKinds(ALERT_KINDS, configs, factories, { prefix: '> ' }, 'alert')).toEqual([
      '> webhook https://hooks.example.org/ x3',
      '> smtp smtp.example.org:587',
    ]);
  });

  it('a runtime without a kind refuses its entries by name', () => {
    const [config] = validate([{ id: 'mail', kind: 'smtp', host: 'x' }]);
    const onlyHooks: Partial<KindFactories<typeof ALERT_KINDS, object, string>> = { webhook: (c) => c.url };
    expect(() => createKinds(ALERT_KINDS, config ? [config] : [], onlyHooks, {}, 'alert')).toThrow(
      new ConfigError("alert 'mail': kind 'smtp' is not available here (have: webhook)"),
    );
  });

  it('the compiler refuses a factory table that misses a kind or reads a field its kind lacks', () => {
    // @ts-expect-error: every kind of the table needs a factory
    const missing: KindFactories<typeof ALERT_KINDS, object, string> = { webhook: (c) => c.url };
    const wrongField: KindFactories<typeof ALERT_KINDS, object, string> = {
      // @ts-expect-error: a webhook has no host
      webhook: (c) => c.host,
      smtp: (c) => c.host,
    };
    expect([missing, wrongField]).toHaveLength(2);
  });

  it('the real tables validate their documented examples', () => {
    const fromExamples = (kind: string, fields: Record<string, { example: string }>): Record<string, unknown> => ({
      id: 'x',
      kind,
      ...Object.fromEntries(
        Object.entries(fields).map(([name, f]) => [name, JSON.parse(f.example.replace('...', 'aaaaaaaaaaaaaaaaaaaaaaaaaa'))]),
      ),
    });
    for (const [kind, fields] of Object.entries(TARGET_KINDS)) {
      expect(validateKindList([fromExamples(kind, fields)], { file: 'f', list: 'targets', noun: 'target' }, TARGET_KINDS)).toHaveLength(1);
    }
    for (const [kind, fields] of Object.entries(MIRROR_KINDS)) {
      expect(validateKindList([fromExamples(kind, fields)], { file: 'f', list: 'mirrors', noun: 'mirror' }, MIRROR_KINDS)).toHaveLength(1);
    }
  });
});
