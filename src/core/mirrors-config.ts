// The edge's mirror list as data (mirrors/mirrors.json, `ferry edge --mirrors`, the Worker's
// FERRY_MIRRORS): one entry per kind, the fields it takes (kinds.ts derives the typed config,
// validates it and sets defaults). Each runtime builds the kinds it can (src/node/edge-server.ts
// NODE_MIRROR_FACTORIES, src/worker/index.ts WORKER_MIRROR_FACTORIES; Workers has no `directory`).
// Errors name the file, the mirror and the field, and say what to fix. Pure: the text comes in.
import { ConfigError } from './config-error.ts';
import { isRecord } from './is-record.ts';
import { defineKinds, validateKindList, type KindConfig } from './kinds.ts';

export const DEFAULT_MIRROR_PRIORITY = 10;

const PRIORITY = { type: 'number', default: DEFAULT_MIRROR_PRIORITY, hint: 'lower is preferred', example: '1' } as const;

export const MIRROR_KINDS = defineKinds({
  /** Any static host: base URL + path. */
  http: {
    url: { type: 'base-url', required: true, example: '"https://mirror.example.org/"' },
    priority: PRIORITY,
  },
  /** A path gateway serving the snapshot's CID: url + ipfs/<cid> + path. */
  'ipfs-gateway': {
    url: { type: 'base-url', required: true, example: '"https://ipfs.example.net/"' },
    cid: { type: 'string', required: true, pattern: /^[A-Za-z0-9]{20,128}$/, means: 'a CID (letters and digits)', example: '"bafybei..."' },
    priority: PRIORITY,
  },
  /** A local snapshot folder (Node only), relative to the mirror list's folder. */
  directory: {
    path: { type: 'string', required: true, example: '"/srv/www/blog"' },
    priority: PRIORITY,
  },
  /** A Workers KV namespace: key = prefix + path. */
  kv: {
    prefix: { type: 'string', example: '"snapshot"' },
    priority: PRIORITY,
  },
});

export type MirrorKind = keyof typeof MIRROR_KINDS;

/** One mirror the edge reads from: `MirrorConfig<'http'>` has url (ending with '/') and priority. */
export type MirrorConfig<K extends MirrorKind = MirrorKind> = KindConfig<typeof MIRROR_KINDS, K>;

/** The mirror list's errors are ConfigErrors; this name stays for the callers that use it. */
export { ConfigError as MirrorsConfigError } from './config-error.ts';

/**
 * Parse `{"mirrors":[{"id":"a","kind":"http","url":"http://127.0.0.1:1234/","priority":1}]}`.
 * `kinds` lists the kinds this runtime supports (Workers has no `directory`).
 */
export function parseMirrorsConfig(text: string, fileName: string, kinds: readonly string[]): MirrorConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${fileName}: not valid JSON (${(e as Error).message}); expected {"mirrors":[...]}`);
  }
  return validateMirrorsConfig(raw, fileName, kinds);
}

export function validateMirrorsConfig(raw: unknown, fileName: string, kinds: readonly string[]): MirrorConfig[] {
  const list = isRecord(raw) ? raw.mirrors : undefined;
  if (!Array.isArray(list)) {
    throw new ConfigError(`${fileName}: expected an object {"mirrors":[...]} with a list of mirrors`);
  }
  if (list.length === 0) throw new ConfigError(`${fileName}: "mirrors" is empty; list at least one mirror`);
  return validateKindList(list, { file: fileName, list: 'mirrors', noun: 'mirror' }, MIRROR_KINDS, kinds);
}

/** The mirror's public base URL, for the kinds that have one. */
export function mirrorUrl(config: MirrorConfig): string | undefined {
  return 'url' in config ? config.url : undefined;
}
