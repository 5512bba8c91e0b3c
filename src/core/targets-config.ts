// Publish targets as data (ferry.config.json "targets"): one entry per kind, the fields it takes
// (kinds.ts derives its typed config and validates it); each kind's factory is in src/node/targets.ts,
// checked by the compiler against this table. A new kind is a row here, a factory there and its
// adapter. Secrets are never here: only the names of the environment variables that hold them.
import { defineKinds, validateKindList, type KindConfig } from './kinds.ts';

const KEEP = { type: 'string[]', example: '["/CNAME"]' } as const;

export const TARGET_KINDS = defineKinds({
  directory: {
    path: { type: 'string', required: true, example: '"/srv/www/blog"' },
    keep: KEEP,
  },
  git: {
    remote: { type: 'string', required: true, example: '"https://github.com/org/blog.git"' },
    branch: { type: 'string', required: true, example: '"gh-pages"' },
    tokenEnv: { type: 'env', example: '"FERRY_GIT_TOKEN"' },
    nojekyll: { type: 'boolean', example: 'true' },
    keep: KEEP,
  },
  kv: {
    accountId: { type: 'string', required: true, example: '"0123456789abcdef0123456789abcdef"' },
    namespaceId: { type: 'string', required: true, example: '"fedcba9876543210fedcba9876543210"' },
    tokenEnv: { type: 'env', required: true, example: '"CLOUDFLARE_API_TOKEN"' },
    prefix: { type: 'string', example: '"snapshot"' },
    apiBase: { type: 'string', example: '"https://api.cloudflare.com/client/v4"' },
  },
  s3: {
    endpoint: { type: 'string', required: true, example: '"https://s3.eu-central-1.amazonaws.com"' },
    bucket: { type: 'string', required: true, example: '"blog-mirror"' },
    region: { type: 'string', example: '"eu-central-1"' },
    prefix: { type: 'string', example: '"blog/"' },
    accessKeyIdEnv: { type: 'env', required: true, example: '"AWS_ACCESS_KEY_ID"' },
    secretAccessKeyEnv: { type: 'env', required: true, example: '"AWS_SECRET_ACCESS_KEY"' },
    sessionTokenEnv: { type: 'env', example: '"AWS_SESSION_TOKEN"' },
  },
});

export type TargetKind = keyof typeof TARGET_KINDS;

/** One validated target: `TargetConfig<'git'>` has remote and branch as strings, tokenEnv optional. */
export type TargetConfig<K extends TargetKind = TargetKind> = KindConfig<typeof TARGET_KINDS, K>;

/** The "targets" list of a config file (none: []). */
export function validateTargets(raw: unknown, fileName: string): TargetConfig[] {
  return validateKindList(raw ?? [], { file: fileName, list: 'targets', noun: 'target' }, TARGET_KINDS);
}
