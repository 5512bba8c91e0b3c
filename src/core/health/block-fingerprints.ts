// Block pages and forged DNS answers, recognised by fingerprints in the format of OONI's
// blocking-fingerprints repository (fingerprints_http.csv, fingerprints_dns.csv): one row per
// fingerprint with name, scope, other_names, location_found ('body', 'header.<name>' or 'dns'),
// pattern_type ('full', 'prefix', 'contains', 'regexp'), pattern, confidence_no_fp,
// expected_countries, source, exp_url, notes. Pure: the loader for the full files is
// src/adapters/probes/fingerprint-file.ts; a small set ships in default-fingerprints.ts.

export type FingerprintScope = 'nat' | 'isp' | 'prod' | 'inst' | 'vbw' | 'fp' | 'injb' | 'prov';
export type PatternType = 'full' | 'prefix' | 'contains' | 'regexp';

export interface Fingerprint {
  name: string;
  scope: FingerprintScope;
  /** 'body', 'dns', or 'header.<lower-case name>'. */
  location: string;
  patternType: PatternType;
  pattern: string;
  /** How unlikely a false positive is, by the authors' own assessment (higher is surer). */
  confidenceNoFp: number;
  /** ISO country codes where this block page is expected (may be empty). */
  expectedCountries: string[];
}

export class FingerprintError extends Error {
  override name = 'FingerprintError';
}

const SCOPES: readonly FingerprintScope[] = ['nat', 'isp', 'prod', 'inst', 'vbw', 'fp', 'injb', 'prov'];
const PATTERN_TYPES: readonly PatternType[] = ['full', 'prefix', 'contains', 'regexp'];
const REQUIRED = ['name', 'scope', 'location_found', 'pattern_type', 'pattern'] as const;

/** RFC 4180 CSV: quoted fields with doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (quoted) throw new FingerprintError('unterminated quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Fingerprints from one OONI-format CSV file (header row first; columns found by name, so the
 * files' extra columns and their order do not matter). `source` names the file in errors.
 */
export function parseFingerprints(text: string, source: string): Fingerprint[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (header === undefined) throw new FingerprintError(`${source}: empty file, expected a header row`);
  const col = new Map(header.map((h, i) => [h.trim(), i]));
  for (const name of REQUIRED) {
    if (!col.has(name)) throw new FingerprintError(`${source}: no '${name}' column (columns: ${header.join(', ')})`);
  }
  const get = (row: string[], name: string): string => {
    const i = col.get(name);
    return i === undefined ? '' : (row[i] ?? '');
  };
  return rows.slice(1).map((row, index) => {
    const where = `${source}: row ${index + 2} ('${get(row, 'name')}')`;
    if (row.length !== header.length) throw new FingerprintError(`${where}: ${row.length} fields, the header has ${header.length}`);
    const scope = get(row, 'scope');
    const patternType = get(row, 'pattern_type');
    const location = get(row, 'location_found');
    const pattern = get(row, 'pattern');
    if (!isScope(scope)) throw new FingerprintError(`${where}: scope '${scope}' is not one of ${SCOPES.join(', ')}`);
    if (!isPatternType(patternType)) {
      throw new FingerprintError(`${where}: pattern_type '${patternType}' is not one of ${PATTERN_TYPES.join(', ')}`);
    }
    if (location !== 'body' && location !== 'dns' && !/^header\.[a-z0-9-]+$/.test(location)) {
      throw new FingerprintError(`${where}: location_found '${location}' must be body, dns or header.<lower-case name>`);
    }
    if (pattern === '') throw new FingerprintError(`${where}: empty pattern`);
    if (patternType === 'regexp') {
      try {
        new RegExp(pattern);
      } catch {
        throw new FingerprintError(`${where}: pattern is not a valid regular expression`);
      }
    }
    const confidence = Number(get(row, 'confidence_no_fp') || '0');
    if (!Number.isFinite(confidence)) throw new FingerprintError(`${where}: confidence_no_fp must be a number`);
    const countries = get(row, 'expected_countries');
    return {
      name: get(row, 'name'),
      scope,
      location,
      patternType,
      pattern,
      confidenceNoFp: confidence,
      expectedCountries: countries === '' ? [] : countries.split(',').map((c) => c.trim().toUpperCase()),
    };
  });
}

function isScope(s: string): s is FingerprintScope {
  return (SCOPES as readonly string[]).includes(s);
}
function isPatternType(s: string): s is PatternType {
  return (PATTERN_TYPES as readonly string[]).includes(s);
}

export interface FingerprintMatch {
  fingerprint: Fingerprint;
  /** Where it matched: 'body', 'header.<name>' or 'dns'. */
  location: string;
  /**
   * Certain enough to call the target blocked on its own: a national, ISP, product, institution,
   * injection or provider block page whose authors rate false positives unlikely. Vague blocking
   * words ('vbw') and false-positive markers ('fp') never are.
   */
  confirmed: boolean;
}

/** Fingerprints at or above this confidence_no_fp confirm a block (OONI's own rows mostly say 5). */
export const CONFIRMING_CONFIDENCE = 5;

function matches(fp: Fingerprint, value: string): boolean {
  switch (fp.patternType) {
    case 'full':
      return value === fp.pattern;
    case 'prefix':
      return value.startsWith(fp.pattern);
    case 'contains':
      return value.includes(fp.pattern);
    case 'regexp':
      return new RegExp(fp.pattern).test(value);
  }
}

function toMatch(fp: Fingerprint, location: string): FingerprintMatch {
  const confirmed = fp.scope !== 'vbw' && fp.scope !== 'fp' && fp.confidenceNoFp >= CONFIRMING_CONFIDENCE;
  return { fingerprint: fp, location, confirmed };
}

/** HTTP fingerprints that match a response: its body (as text) and its headers. */
export function matchHttpFingerprints(
  fingerprints: readonly Fingerprint[],
  response: { body: string; headers: ReadonlyMap<string, string> | Headers },
): FingerprintMatch[] {
  const out: FingerprintMatch[] = [];
  for (const fp of fingerprints) {
    if (fp.location === 'body') {
      if (matches(fp, response.body)) out.push(toMatch(fp, 'body'));
    } else if (fp.location.startsWith('header.')) {
      const value = response.headers.get(fp.location.slice('header.'.length));
      if (value !== null && value !== undefined && matches(fp, value)) out.push(toMatch(fp, fp.location));
    }
  }
  return out;
}

/** DNS fingerprints (known forged answers) that match any of the addresses. */
export function matchDnsFingerprints(fingerprints: readonly Fingerprint[], addresses: readonly string[]): FingerprintMatch[] {
  return fingerprints.filter((fp) => fp.location === 'dns' && addresses.some((a) => matches(fp, a))).map((fp) => toMatch(fp, 'dns'));
}
