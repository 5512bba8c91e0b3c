// The integrity layer's decisions, shared by every prober (local, agents, the Worker's fetch-only
// prober): which files to sample this round, and what a manifest or a file that fails the edge's
// own verification (src/core/verify.ts) means as evidence. A signature, digest, size, version or
// expiry failure is `compromised`, confirmed, at once, unless the bytes are a known block page
// with nothing planted in them (then the path is censored, the mirror is not). Pure.
import { ManifestError, SignatureError, type Manifest } from '../manifest.ts';
import { ExpiredError, IntegrityError, RollbackError, checkFile } from '../verify.ts';
import { FEED_PATHS } from '../feeds.ts';
import { matchHttpFingerprints, type Fingerprint, type FingerprintMatch } from './block-fingerprints.ts';
import { analyzeHtml, type ContentFinding } from './content-analysis.ts';
import type { Evidence } from './observation.ts';

declare const TextDecoder: new (label: 'utf-8', opts: { fatal: boolean }) => { decode(b: Uint8Array): string };
const lenient = new TextDecoder('utf-8', { fatal: false });

/** Bytes as text for analysis (invalid UTF-8 replaced, never thrown). */
export function bodyText(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

export interface SampleOptions {
  /** Newest posts always checked (default 3). */
  newestPosts?: number;
  /** Rounds in a day (default 288, one every 5 minutes): the rotating sample covers every file in this many rounds. */
  roundsPerDay?: number;
  /** Rotating files per round at least (default 4). */
  minRotating?: number;
}

export interface SamplePlan {
  /** Always checked: the index, the newest posts, the feeds. */
  fixed: string[];
  /** This round's share of every other file. */
  rotating: string[];
}

const POST_PATH = /^\/(\d{4})\/(\d{2})\/(?!index\.html$)[^/]+\.html$/;
const FEEDS: readonly string[] = Object.values(FEED_PATHS);

/**
 * Files to verify this round. The rotating part walks the sorted file list in windows of
 * ceil(files / roundsPerDay) (at least minRotating), the window chosen by the round number, so
 * every file is checked within a day of rounds whatever the round numbers' start.
 */
export function planSample(
  manifest: Manifest,
  round: number,
  { newestPosts = 3, roundsPerDay = 288, minRotating = 4 }: SampleOptions = {},
): SamplePlan {
  const paths = Object.keys(manifest.files).sort();
  const fixed: string[] = [];
  if (paths.includes('/index.html')) fixed.push('/index.html');
  const posts = paths.filter((p) => POST_PATH.test(p)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  fixed.push(...posts.slice(0, Math.max(0, newestPosts)));
  fixed.push(...FEEDS.filter((f) => paths.includes(f)));
  const rest = paths.filter((p) => !fixed.includes(p));
  if (rest.length === 0) return { fixed, rotating: [] };
  const size = Math.min(rest.length, Math.max(minRotating, Math.ceil(rest.length / Math.max(1, roundsPerDay))));
  const windows = Math.ceil(rest.length / size);
  const start = (((Math.floor(round) % windows) + windows) % windows) * size;
  const rotating = rest.slice(start, start + size);
  // The last window may be short: top it up from the start so every round checks `size` files.
  if (rotating.length < size) rotating.push(...rest.slice(0, size - rotating.length).filter((p) => !rotating.includes(p)));
  return { fixed, rotating };
}

/** What a manifest that acceptManifest refused means. */
export function manifestEvidence(error: unknown): Evidence {
  const message = error instanceof Error ? error.message : String(error);
  const base = { layer: 'integrity' as const, points: 'compromised' as const, confirmed: true };
  if (error instanceof RollbackError) return { ...base, code: 'integrity-rollback', message };
  if (error instanceof ExpiredError) return { ...base, code: 'integrity-expired', message };
  if (error instanceof SignatureError) return { ...base, code: 'integrity-signature', message };
  if (error instanceof ManifestError) return { ...base, code: 'integrity-manifest-invalid', message };
  return { ...base, code: 'integrity-manifest-invalid', message: `the manifest cannot be read: ${message}` };
}

/** Undefined when bytes are exactly what the manifest lists for path; the failure as evidence otherwise. */
export function fileEvidence(manifest: Manifest, path: string, bytes: Uint8Array, source: string): Evidence | undefined {
  try {
    checkFile(manifest, path, bytes, source);
    return undefined;
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    const sizeDiffers = e.expected !== undefined && e.expected.size !== e.actual.size;
    return {
      layer: 'integrity',
      code: sizeDiffers ? 'integrity-size' : 'integrity-mismatch',
      message: e.message,
      points: 'compromised',
      confirmed: true,
      facts: {
        path,
        expectedSha256: e.expected?.sha256 ?? '(not listed)',
        expectedSize: e.expected?.size ?? -1,
        actualSha256: e.actual.sha256,
        actualSize: e.actual.size,
      },
    };
  }
}

/** Block-page fingerprints matched in a response, as evidence (confirmed when the fingerprint is). */
export function blockPageEvidence(
  fingerprints: readonly Fingerprint[],
  response: { url: string; body: string; headers: ReadonlyMap<string, string> | Headers },
): Evidence[] {
  return matchHttpFingerprints(fingerprints, response).map((m) => toBlockEvidence(m, response.url));
}

function toBlockEvidence(m: FingerprintMatch, url: string): Evidence {
  const fp = m.fingerprint;
  return {
    layer: 'blockpage',
    code: m.confirmed ? 'blockpage-fingerprint' : 'blockpage-vague',
    message: `${url}: the answer matches block-page fingerprint ${fp.name} (${fp.scope}, in ${m.location})`,
    points: 'blocked',
    confirmed: m.confirmed,
    facts: {
      fingerprint: fp.name,
      scope: fp.scope,
      location: m.location,
      ...(fp.expectedCountries.length > 0 ? { countries: fp.expectedCountries.join(',') } : {}),
    },
  };
}

/** Findings that only planted code explains (an inline script alone does not: block pages have them too). */
const PLANTED: ReadonlySet<ContentFinding['code']> = new Set([
  'content-foreign-script',
  'content-foreign-frame',
  'content-foreign-object',
  'content-hidden-iframe',
  'content-obfuscation',
  'content-meta-redirect',
  'content-script-redirect',
]);

export function contentEvidence(findings: readonly ContentFinding[], path: string): Evidence[] {
  return findings.map((f) => ({
    layer: 'content' as const,
    code: f.code,
    message: `${path}: ${f.message}`,
    points: 'compromised' as const,
    facts: { path, ...(f.host === undefined ? {} : { host: f.host }) },
  }));
}

export interface MismatchInput {
  /** The integrity evidence fileEvidence gave. */
  failure: Evidence;
  path: string;
  url: string;
  body: Uint8Array;
  headers: ReadonlyMap<string, string> | Headers;
  contentType: string;
  fingerprints: readonly Fingerprint[];
  allowHosts: readonly string[];
}

/**
 * What a file that failed verification was: a known block page with nothing planted in it is
 * `blocked` (confirmed: the censor's page, not the mirror's doing); anything else stays
 * `compromised`, with what changed in HTML said by the content analysis.
 */
export function judgeMismatch(input: MismatchInput): Evidence[] {
  const text = bodyText(input.body);
  const blocks = blockPageEvidence(input.fingerprints, { url: input.url, body: text, headers: input.headers });
  const isHtml = /html/i.test(input.contentType) || /\.html?$/.test(input.path) || /^\s*<(?:!doctype|html)/i.test(text);
  const findings = isHtml ? analyzeHtml(text, { pageUrl: input.url, allowHosts: input.allowHosts }) : [];
  const planted = findings.some((f) => PLANTED.has(f.code));
  if (blocks.some((b) => b.confirmed === true) && !planted) {
    return [
      ...blocks,
      {
        ...input.failure,
        code: 'integrity-blockpage',
        message: `${input.path} was replaced by a block page on the way (${input.failure.message})`,
        points: 'blocked',
        confirmed: true,
      },
    ];
  }
  return [input.failure, ...contentEvidence(findings, input.path), ...blocks];
}
