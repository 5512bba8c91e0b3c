// Publish targets as data (ferry.config.json "targets"): which fields each kind takes is a table,
// so a new kind is a new row and one adapter, never an `if (kind === ...)` chain. Errors name the
// file, the target and the field, and say what to fix. Secrets are never here: only the names of
// the environment variables that hold them.

export type FieldType = 'string' | 'boolean' | 'number' | 'string[]' | 'env';

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  /** What a valid value looks like, for the error message. */
  example: string;
}

export const TARGET_KINDS: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>> = {
  directory: {
    path: { type: 'string', required: true, example: '"/srv/www/blog"' },
    keep: { type: 'string[]', example: '["/CNAME"]' },
  },
  git: {
    remote: { type: 'string', required: true, example: '"https://github.com/org/blog.git"' },
    branch: { type: 'string', required: true, example: '"gh-pages"' },
    tokenEnv: { type: 'env', example: '"FERRY_GIT_TOKEN"' },
    nojekyll: { type: 'boolean', example: 'true' },
    keep: { type: 'string[]', example: '["/CNAME"]' },
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
};

/** IPFS pinners: who keeps each new root available before any pointer moves to it. */
export const PINNER_KINDS: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>> = {
  kubo: {
    url: { type: 'string', required: true, example: '"http://127.0.0.1:5001"' },
  },
  'pinning-service': {
    endpoint: { type: 'string', required: true, example: '"https://api.pinata.cloud/psa"' },
    tokenEnv: { type: 'env', required: true, example: '"PINNING_TOKEN"' },
  },
  /** A service that imports a whole CAR through the S3 API and pins its root (e.g. Filebase). */
  's3-car': {
    endpoint: { type: 'string', required: true, example: '"https://s3.filebase.com"' },
    bucket: { type: 'string', required: true, example: '"blog-ipfs"' },
    region: { type: 'string', example: '"us-east-1"' },
    accessKeyIdEnv: { type: 'env', required: true, example: '"FILEBASE_KEY"' },
    secretAccessKeyEnv: { type: 'env', required: true, example: '"FILEBASE_SECRET"' },
  },
};

/** IPFS pointers: names that follow the newest verified root. */
export const POINTER_KINDS: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>> = {
  ipns: {
    url: { type: 'string', required: true, example: '"http://127.0.0.1:5001"' },
    key: { type: 'string', example: '"self"' },
  },
  'dnslink-cloudflare': {
    zoneId: { type: 'string', required: true, example: '"023e105f4ecef8ad9ca31a8372d0c353"' },
    recordName: { type: 'string', required: true, example: '"_dnslink.blog.example.org"' },
    tokenEnv: { type: 'env', required: true, example: '"CLOUDFLARE_DNS_TOKEN"' },
  },
};

/** One entry of a list of kinds (a target, a pinner, a pointer), validated against its table. */
export interface KindConfig {
  id: string;
  kind: string;
  /** The kind's fields, validated against its table. */
  options: Record<string, string | boolean | number | string[]>;
}

export type TargetConfig = KindConfig;

export class TargetsConfigError extends Error {
  override name = 'TargetsConfigError';
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV = /^[A-Z_][A-Z0-9_]*$/;

export function validateTargets(raw: unknown, fileName: string): TargetConfig[] {
  return validateKindList(raw, fileName, 'targets', 'target', TARGET_KINDS);
}

/** Validate a list of {"id", "kind", ...fields} against the table of what each kind takes. */
export function validateKindList(
  raw: unknown,
  fileName: string,
  field: string,
  noun: string,
  kinds: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>>,
): KindConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new TargetsConfigError(`${fileName}: ${field} must be a list of {"id", "kind", ...}`);
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new TargetsConfigError(`${fileName}: ${field}[${i}] must be an object with id and kind`);
    }
    const t = entry as Record<string, unknown>;
    if (typeof t.id !== 'string' || !ID.test(t.id)) {
      throw new TargetsConfigError(`${fileName}: ${field}[${i}]: id must be 1-64 letters, digits, '.', '_' or '-' (e.g. "gh-pages")`);
    }
    const at = `${fileName}: ${noun} '${t.id}'`;
    if (seen.has(t.id)) throw new TargetsConfigError(`${at}: id is used twice; give each target its own id`);
    seen.add(t.id);
    const kind = typeof t.kind === 'string' ? t.kind : '';
    const spec = kinds[kind];
    if (spec === undefined) throw new TargetsConfigError(`${at}: kind must be one of ${Object.keys(kinds).join(', ')}`);
    const options: KindConfig['options'] = {};
    for (const key of Object.keys(t)) {
      if (key !== 'id' && key !== 'kind' && spec[key] === undefined) {
        throw new TargetsConfigError(`${at}: unknown field "${key}" for kind ${kind} (known: ${Object.keys(spec).join(', ')})`);
      }
    }
    for (const [name, field] of Object.entries(spec)) {
      const v = t[name];
      if (v === undefined) {
        if (field.required === true) throw new TargetsConfigError(`${at}: ${name} is required, e.g. "${name}": ${field.example}`);
        continue;
      }
      const ok =
        field.type === 'string[]'
          ? Array.isArray(v) && v.every((x) => typeof x === 'string')
          : field.type === 'env'
            ? typeof v === 'string' && ENV.test(v)
            : typeof v === field.type && (field.type !== 'string' || v !== '');
      if (!ok) {
        const what =
          field.type === 'env' ? 'the NAME of an environment variable (the secret itself never goes in this file)' : `a ${field.type}`;
        throw new TargetsConfigError(`${at}: ${name} must be ${what}, e.g. "${name}": ${field.example}`);
      }
      options[name] = v as string | boolean | number | string[];
    }
    return { id: t.id, kind, options };
  });
}
