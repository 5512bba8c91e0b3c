// The integrity layer of a mirror's probe: fetch manifest.json and its signature, accept them the
// way the edge does (src/core/verify.ts: pinned key, not expired, no rollback below the last
// version seen), then verify this round's sample (the index, the newest posts, the feeds and a
// rotating share of every other file). Any failure is `compromised` at once, unless the bytes are
// a known block page with nothing planted (see judgeMismatch).
import { MANIFEST_PATH, SIGNATURE_PATH, type Manifest } from '../../core/manifest.ts';
import type { Fingerprint } from '../../core/health/block-fingerprints.ts';
import {
  blockPageEvidence,
  bodyText,
  fileEvidence,
  judgeMismatch,
  manifestEvidence,
  planSample,
  type SampleOptions,
} from '../../core/health/integrity-check.ts';
import type { Evidence } from '../../core/health/observation.ts';
import { acceptManifest } from '../../core/verify.ts';
import { FetchError } from '../../ports/fetch.ts';
import type { HttpCall, HttpResponse } from '../web/http-call.ts';

export interface IntegrityProbeOptions {
  http: HttpCall;
  publicKey: Uint8Array;
  now: Date;
  /** The highest version seen from this mirror before: a lower one is a rollback. */
  minVersion?: number | undefined;
  round: number;
  sample?: SampleOptions;
  timeoutMs: number;
  /** Largest manifest accepted, in bytes. */
  manifestMaxBytes: number;
  /** Bodies up to this size are read whole for block-page and content analysis, whatever the manifest says. */
  analysisBytes: number;
  fingerprints: readonly Fingerprint[];
  allowHosts: readonly string[];
  /** The answer for the base URL (readers' first page), verified as /index.html when it is a 2xx. */
  index?: HttpResponse | undefined;
  /** Files fetched at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal | undefined;
}

export interface IntegrityOutcome {
  evidence: Evidence[];
  manifestVersion?: number;
  /** Paths checked this round. */
  checked: string[];
}

function urlOf(base: string, path: string): string {
  const root = base.endsWith('/') ? base : `${base}/`;
  return root + path.slice(1).split('/').map(encodeURIComponent).join('/');
}

async function get(http: HttpCall, url: string, maxBytes: number, opts: IntegrityProbeOptions): Promise<HttpResponse | FetchError> {
  try {
    return await http(url, { timeoutMs: opts.timeoutMs, maxBytes, signal: opts.signal });
  } catch (e) {
    if (e instanceof FetchError) return e;
    throw e;
  }
}

export async function probeIntegrity(base: string, opts: IntegrityProbeOptions): Promise<IntegrityOutcome> {
  const [manifestRes, sigRes] = await Promise.all([
    get(opts.http, urlOf(base, MANIFEST_PATH), opts.manifestMaxBytes, opts),
    get(opts.http, urlOf(base, SIGNATURE_PATH), 65_536, opts),
  ]);
  for (const r of [manifestRes, sigRes]) {
    if (r instanceof FetchError || r.status !== 200) {
      const blocks =
        r instanceof FetchError ? [] : blockPageEvidence(opts.fingerprints, { url: r.url, body: bodyText(r.body), headers: r.headers });
      const why = r instanceof FetchError ? r.message : `${r.url}: HTTP ${r.status}`;
      return {
        evidence: [
          ...blocks,
          {
            layer: 'integrity',
            code: 'integrity-unavailable',
            message: `the signed manifest cannot be fetched (${why})`,
            points: 'unreachable',
            facts: { problem: why },
          },
        ],
        checked: [],
      };
    }
  }
  if (manifestRes instanceof FetchError || sigRes instanceof FetchError) return { evidence: [], checked: [] }; // narrowed above

  let manifest: Manifest;
  try {
    manifest = acceptManifest(manifestRes.body, bodyText(sigRes.body), {
      publicKey: opts.publicKey,
      now: opts.now,
      ...(opts.minVersion === undefined ? {} : { minVersion: opts.minVersion }),
    });
  } catch (e) {
    // A censor's page in place of the manifest is a block, not a forged manifest.
    const blocks = [manifestRes, sigRes].flatMap((r) =>
      blockPageEvidence(opts.fingerprints, { url: r.url, body: bodyText(r.body), headers: r.headers }),
    );
    if (blocks.some((b) => b.confirmed === true)) return { evidence: blocks, checked: [] };
    return { evidence: [manifestEvidence(e), ...blocks], checked: [] };
  }

  const plan = planSample(manifest, opts.round, opts.sample);
  const paths = [...plan.fixed, ...plan.rotating];
  const evidence: Evidence[] = [];
  const source = `mirror ${base}`;
  const checkOne = async (path: string): Promise<Evidence[]> => {
    const expected = manifest.files[path];
    if (expected === undefined) return [];
    const index =
      path === '/index.html' && opts.index !== undefined && opts.index.status >= 200 && opts.index.status <= 299 ? opts.index : undefined;
    const res = index ?? (await get(opts.http, urlOf(base, path), Math.max(expected.size, opts.analysisBytes), opts));
    if (res instanceof FetchError) {
      if (res.problem === 'too-large') {
        return [
          {
            layer: 'integrity',
            code: 'integrity-size',
            message: `${path} is larger than the ${expected.size} bytes the manifest lists (${res.detail})`,
            points: 'compromised',
            confirmed: true,
            facts: { path, expectedSize: expected.size },
          },
        ];
      }
      return [
        {
          layer: 'integrity',
          code: 'integrity-file-unavailable',
          message: `${path} cannot be fetched (${res.detail})`,
          points: 'degraded',
          facts: { path, problem: res.problem },
        },
      ];
    }
    if (res.status === 404 || res.status === 410) {
      return [
        {
          layer: 'integrity',
          code: 'integrity-missing',
          message: `${path} is in the manifest but the mirror answers HTTP ${res.status}`,
          points: 'degraded',
          facts: { path, status: res.status },
        },
      ];
    }
    if (res.status < 200 || res.status > 299) {
      return [
        {
          layer: 'integrity',
          code: 'integrity-file-unavailable',
          message: `${path}: HTTP ${res.status}`,
          points: 'degraded',
          facts: { path, status: res.status },
        },
      ];
    }
    const failure = fileEvidence(manifest, path, res.body, source);
    if (failure === undefined) return [];
    return judgeMismatch({
      failure,
      path,
      url: res.url,
      body: res.body,
      headers: res.headers,
      contentType: res.headers.get('content-type') ?? '',
      fingerprints: opts.fingerprints,
      allowHosts: opts.allowHosts,
    });
  };
  const queue = [...paths];
  const worker = async (): Promise<void> => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) evidence.push(...(await checkOne(path)));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, paths.length)) }, worker));
  if (!evidence.some((e) => e.points !== 'healthy')) {
    evidence.push({
      layer: 'integrity',
      code: 'integrity-ok',
      message: `manifest version ${manifest.version} verifies; ${paths.length} file(s) match it`,
      points: 'healthy',
      facts: { version: manifest.version, checked: paths.length, expires: manifest.expires },
    });
  }
  return { evidence, manifestVersion: manifest.version, checked: paths };
}
