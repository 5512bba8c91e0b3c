// Kinds as data (Gatus's ValidateAndSetDefaults, as types). A list of kinds (publish targets, IPFS
// pinners and pointers, mirrors; next alerts and probes) is a table in core: kind -> the fields it
// takes (a FieldSpecs). From that one table come the typed config of each kind (ConfigOf: required
// and defaulted fields are present, the rest optional), the one validator that turns a JSON list
// into those configs (defaults set, errors that name the file, the entry and the field and say what
// to fix), and the type of each runtime's factory table (KindFactories), which the compiler checks
// against the table: a factory receives its kind's config, with every required field present.
// Core holds the tables and the validator; factories that need Node or Workers live in that
// runtime's wiring, keyed by the same kind names, so core never imports an adapter.
import { checkBaseUrl } from './base-url.ts';
import { ConfigError } from './config-error.ts';
import { isRecord } from './is-record.ts';

interface FieldBase {
  /** A valid value as JSON, shown in every error about this field: '"https://github.com/org/blog.git"'. */
  readonly example: string;
  /** The entry is refused without it. */
  readonly required?: boolean;
  /** What the value means, added to a type error: "lower is preferred". */
  readonly hint?: string;
}

/** A non-empty string; `pattern` narrows it, `means` names that shape in the error. */
export interface StringField extends FieldBase {
  readonly type: 'string';
  readonly pattern?: RegExp;
  readonly means?: string;
  readonly default?: string;
}

/** A base URL paths are appended to (see base-url.ts), normalised to end with '/'. */
export interface BaseUrlField extends FieldBase {
  readonly type: 'base-url';
}

/** The NAME of an environment variable that holds a secret (never the secret itself). */
export interface EnvField extends FieldBase {
  readonly type: 'env';
}

export interface BooleanField extends FieldBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

export interface NumberField extends FieldBase {
  readonly type: 'number';
  readonly default?: number;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export interface StringListField extends FieldBase {
  readonly type: 'string[]';
}

export type FieldSpec = StringField | BaseUrlField | EnvField | BooleanField | NumberField | StringListField;

/** The fields of one kind, by name ('id' and 'kind' are every entry's own). */
export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** A table of kinds: kind name -> its fields. */
export type KindSpecs = Readonly<Record<string, FieldSpecs>>;

/** The value a field holds once validated. */
export type ValueOf<F extends FieldSpec> = F extends { readonly type: 'boolean' }
  ? boolean
  : F extends { readonly type: 'number' }
    ? number
    : F extends { readonly type: 'string[]' }
      ? string[]
      : string;

type IsPresent<F> = F extends { readonly required: true } ? true : F extends { readonly default: string | number | boolean } ? true : false;
type PresentKeys<F extends FieldSpecs> = { [K in keyof F]-?: IsPresent<F[K]> extends true ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The typed config of a kind's fields: required and defaulted fields present, the others optional. */
export type ConfigOf<F extends FieldSpecs> = Simplify<
  { [K in PresentKeys<F>]: ValueOf<F[K]> } & { [K in Exclude<keyof F, PresentKeys<F>>]?: ValueOf<F[K]> }
>;

/** kind -> the typed config of one entry of that kind ({ id, kind, ...fields }). */
export type KindConfigs<S extends KindSpecs> = { [K in keyof S & string]: Simplify<{ id: string; kind: K } & ConfigOf<S[K]>> };

/** One validated entry of kind K (by default: of any kind of the table, a union on `kind`). */
export type KindConfig<S extends KindSpecs, K extends keyof S & string = keyof S & string> = KindConfigs<S>[K];

/** What builds one kind: its validated config and the runtime's dependencies in, the thing out. */
export type KindFactory<C, Deps, Out> = (config: C, deps: Deps) => Out;

/** A runtime's factory for every kind of the table (Partial<...> where a runtime lacks some). */
export type KindFactories<S extends KindSpecs, Deps, Out> = {
  readonly [K in keyof S & string]: KindFactory<KindConfig<S, K>, Deps, Out>;
};

/**
 * Declares a table of kinds, keeping its literal types (`required: true`, defaults), which the
 * typed configs are derived from: `export const ALERT_KINDS = defineKinds({ webhook: { url: ... } })`.
 */
export function defineKinds<const S extends KindSpecs>(specs: S): S {
  return specs;
}

/** Where a list of kinds sits, for messages: `ferry.config.json: target 'gh-pages': ...`. */
export interface KindListSource {
  /** The file (or variable) holding the list: "ferry.config.json", "FERRY_MIRRORS". */
  file: string;
  /** The list's path in it: "targets", "ipfs.pinners", "mirrors". */
  list: string;
  /** What one entry is called: "target", "pinner", "mirror". */
  noun: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Validates a JSON list of `{"id", "kind", ...fields}` against the table, and sets defaults. Only
 * the kinds in `kinds` are accepted (a runtime passes those it can build; default: all). Throws a
 * ConfigError naming the file, the entry and the field, with an example of a valid value.
 */
export function validateKindList<S extends KindSpecs>(
  raw: unknown,
  source: KindListSource,
  specs: S,
  kinds: readonly string[] = Object.keys(specs),
): KindConfig<S>[] {
  const { file, list, noun } = source;
  const available = kinds.filter((k) => Object.hasOwn(specs, k));
  const firstKind = available[0] ?? '';
  if (!Array.isArray(raw)) {
    throw new ConfigError(
      `${file}: ${list} must be a list of {"id", "kind", ...}, e.g. "${list}": [{"id": "a", "kind": "${firstKind}", ...}]`,
    );
  }
  const seen = new Map<string, number>();
  return raw.map((entry: unknown, i) => {
    if (!isRecord(entry)) {
      throw new ConfigError(
        `${file}: ${list}[${i}] must be an object with an id and a kind, e.g. {"id": "a", "kind": "${firstKind}", ...}`,
      );
    }
    const id = entry.id;
    if (typeof id !== 'string' || !ID.test(id)) {
      throw new ConfigError(`${file}: ${list}[${i}]: id must be 1-64 letters, digits, '.', '_' or '-' (e.g. "gh-pages")`);
    }
    const at = `${file}: ${noun} '${id}'`;
    const before = seen.get(id);
    if (before !== undefined) {
      throw new ConfigError(`${at}: id is used twice (${list}[${before}] and ${list}[${i}]); give each ${noun} its own id`);
    }
    seen.set(id, i);
    const kind = entry.kind;
    const fields = typeof kind === 'string' && available.includes(kind) ? specs[kind] : undefined;
    if (typeof kind !== 'string' || fields === undefined) {
      const elsewhere = typeof kind === 'string' && Object.hasOwn(specs, kind) ? ` ('${kind}' is not available here)` : '';
      throw new ConfigError(`${at}: kind must be one of ${available.join(', ')}${elsewhere}, e.g. "kind": "${firstKind}"`);
    }
    for (const key of Object.keys(entry)) {
      if (key !== 'id' && key !== 'kind' && !Object.hasOwn(fields, key)) {
        throw new ConfigError(
          `${at}: unknown field "${key}" for kind ${kind} (known: ${['id', 'kind', ...Object.keys(fields)].join(', ')}); remove it or correct its name`,
        );
      }
    }
    const config: Record<string, unknown> = { id, kind };
    for (const [name, field] of Object.entries(fields)) {
      const value = validateField(entry[name], field, { at, kind, name });
      if (value !== undefined) config[name] = value;
    }
    // The one cast: every field of this kind was just checked against the table the type is made of.
    return config as KindConfig<S>;
  });
}

/** The field's value, checked (or its default; undefined when optional and absent). */
function validateField(
  value: unknown,
  field: FieldSpec,
  { at, kind, name }: { at: string; kind: string; name: string },
): string | number | boolean | string[] | undefined {
  const fix = `e.g. "${name}": ${field.example}`;
  if (value === undefined) {
    if ('default' in field && field.default !== undefined) return field.default;
    if (field.required === true) throw new ConfigError(`${at}: kind '${kind}' needs ${name}, ${fix}`);
    return undefined;
  }
  const wrong = (what: string): ConfigError =>
    new ConfigError(`${at}: ${name} ${what}${field.hint === undefined ? '' : ` (${field.hint})`}, ${fix}`);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string' || value === '') throw wrong('must be a non-empty string');
      if (field.pattern !== undefined && !field.pattern.test(value)) throw wrong(`must be ${field.means ?? `like ${field.example}`}`);
      return value;
    case 'base-url': {
      if (typeof value !== 'string') throw wrong('must be an http(s) URL in a string');
      const checked = checkBaseUrl(value);
      if (!checked.ok) throw wrong(checked.problem);
      return checked.url;
    }
    case 'env':
      if (typeof value !== 'string' || !ENV.test(value)) {
        throw wrong('must be the NAME of an environment variable (the secret itself never goes in this file)');
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong('must be true or false');
      return value;
    case 'number': {
      const { integer = false, min, max } = field;
      const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? `, at least ${min}` : '';
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (integer && !Number.isInteger(value)) ||
        (min !== undefined && value < min) ||
        (max !== undefined && value > max)
      ) {
        throw wrong(`must be a ${integer ? 'whole number' : 'number'}${range}`);
      }
      return value;
    }
    case 'string[]':
      if (!Array.isArray(value) || !value.every((x): x is string => typeof x === 'string')) throw wrong('must be a list of strings');
      return value;
  }
}

/**
 * Builds every configured entry with its kind's factory. A kind the factories lack (a runtime
 * without it) is a ConfigError; validating with the same kinds first prevents it.
 */
export function createKinds<S extends KindSpecs, Deps, Out>(
  _specs: S,
  configs: readonly KindConfig<NoInfer<S>>[],
  factories: Partial<KindFactories<NoInfer<S>, Deps, Out>>,
  deps: Deps,
  noun: string,
): Out[] {
  return configs.map((config) => {
    const built = createKind<S, keyof S & string, Deps, Out>(factories, config.kind, config, deps);
    if (built === undefined) {
      throw new ConfigError(
        `${noun} '${config.id}': kind '${config.kind}' is not available here (have: ${Object.keys(factories).join(', ')})`,
      );
    }
    return built;
  });
}

function createKind<S extends KindSpecs, K extends keyof S & string, Deps, Out>(
  factories: Partial<KindFactories<S, Deps, Out>>,
  kind: K,
  config: KindConfig<S, K>,
  deps: Deps,
): Out | undefined {
  const make = factories[kind];
  return make === undefined ? undefined : make(config, deps);
}
