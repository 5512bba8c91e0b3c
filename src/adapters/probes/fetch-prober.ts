// A prober that needs nothing but fetch, for runtimes without sockets or DNS of their own (the
// Worker's cron, in workerd): the HTTP layer (status, redirects, timing, under a deadline) and the
// integrity layer (the signed manifest, then a sample of its files), verified with the same core
// functions the edge uses (acceptManifest, checkFile). No node: imports. It never throws for what
// the target did: every failure is evidence. DNS, TCP and TLS are not seen from here; the Node
// prober covers those.
import { ExpiredError, IntegrityError, RollbackError, acceptManifest, checkFile } from '../../core/verify.ts';
import { MANIFEST_PATH, ManifestError, SIGNATURE_PATH, SignatureError, type Manifest } from '../../core/manifest.ts';
import { classifyEvidence, type Evidence, type ProbeResult } from '../../core/health/observation.ts';
import { FetchError } from '../../ports/fetch.ts';
import type { ProbeContext, ProbeTarget, Prober } from '../../ports/prober.ts';
import { createHttpCall, type HttpCall, type HttpResponse } from '../web/http-call.ts';

export interface FetchProberOptions {
  /** The key manifests are signed with (the edge's pinned key). */
  publicKey: Uint8Array;
  http?: HttpCall;
  now?: () => Date;
  /** Deadline of the whole probe of one target, ms (default 15 s). */
  timeoutMs?: number;
  /** An answer slower than this is `degraded`, ms (default 5 s). */
  slowMs?: number;
  /** Largest body read for a page or the manifest, bytes (default 4 MiB). */
  maxBytes?: number;
  /** Files checked per round besides the fixed ones (default 3), rotating with the round. */
  sampleSize?: number;
  /** Redirects followed on the HTTP layer (default 5). */
  maxRedirects?: number;
  /** The highest manifest version accepted before (a lower one is a rollback). */
  minVersion?: (target: ProbeTarget) => number | undefined;
}

/** A path in the signed snapshot, as the URL a static host serves it at (each segment encoded). */
export function snapshotUrl(base: string, path: string): string {
  const root = base.endsWith('/') ? base : `${base}/`;
  return root + path.slice(1).split('/').map(encodeURIComponent).join('/');
}

/**
 * Which files one round checks: the index, the feeds and the newest posts every time, plus
 * `size` more that rotate with the round, so successive rounds cover every file. Pure.
 */
export function chooseSample(manifest: Manifest, round: number, size: number, maxBytes: number): string[] {
  const paths = Object.keys(manifest.files)
    .filter((p) => p !== MANIFEST_PATH && p !== SIGNATURE_PATH && (manifest.files[p]?.size ?? Infinity) <= maxBytes)
    .sort();
  const fixed = new Set<string>();
  if (paths.includes('/index.html')) fixed.add('/index.html');
  for (const p of paths.filter((q) => /^\/[^/]+\.xml$/.test(q)).slice(0, 3)) fixed.add(p);
  const posts = paths.filter((p) => /^\/\d{4}\/\d{2}\/[^/]+\.html$/.test(p) && !p.endsWith('/index.html')).reverse();
  for (const p of posts.slice(0, 2)) fixed.add(p);
  const rest = paths.filter((p) => !fixed.has(p));
  const rotating: string[] = [];
  if (rest.length > 0) {
    const start = (Math.max(0, Math.floor(round)) * size) % rest.length;
    for (let k = 0; k < Math.min(size, rest.length); k++) rotating.push(rest[(start + k) % rest.length] ?? '');
  }
  return [...fixed, ...rotating];
}

export function createFetchProber({
  publicKey,
  http = createHttpCall(),
  now = () => new Date(),
  timeoutMs = 15_000,
  slowMs = 5_000,
  maxBytes = 4 * 1024 * 1024,
  sampleSize = 3,
  maxRedirects = 5,
  minVersion = () => undefined,
}: FetchProberOptions): Prober {
  return {
    async probe(target: ProbeTarget, context: ProbeContext): Promise<ProbeResult> {
      const started = now();
      // The probe's deadline is each call's share of what is left (so a late call is a timeout, not a cancel).
      const signal = context.signal;
      const left = (): number => Math.max(1, timeoutMs - (now().getTime() - started.getTime()));
      const evidence: Evidence[] = [];
      const result = (manifestVersion?: number): ProbeResult => {
        const totalMs = now().getTime() - started.getTime();
        return {
          target: target.id,
          vantage: context.vantage,
          at: started.toISOString(),
          verdict: classifyEvidence(evidence),
          evidence,
          timings: { totalMs },
          ...(manifestVersion === undefined ? {} : { manifestVersion }),
        };
      };

      // HTTP: the address readers open.
      const hops: string[] = [];
      let page: HttpResponse;
      try {
        page = await http(target.url, {
          timeoutMs: left(),
          maxBytes,
          signal,
          redirects: { max: maxRedirects, check: (next) => void hops.push(next.href) },
        });
      } catch (e) {
        evidence.push(httpFailure(e, target.url));
        return result();
      }
      const ms = now().getTime() - started.getTime();
      const from = new URL(target.url);
      const offsite = hops.map((h) => new URL(h)).filter((u) => u.host !== from.host);
      if (offsite.length > 0) {
        evidence.push({
          layer: 'http',
          code: 'http-redirect-offsite',
          message: `${target.url} redirects to another host (${offsite.map((u) => u.host).join(' -> ')})`,
          points: 'degraded',
          facts: { redirects: hops.length, to: offsite[offsite.length - 1]?.href ?? '' },
        });
      }
      if (page.status < 200 || page.status > 299) {
        evidence.push({
          layer: 'http',
          code: 'http-status',
          message: `${page.url} answered HTTP ${page.status}`,
          points: 'unreachable',
          facts: { status: page.status, ms },
        });
        return result();
      }
      evidence.push(
        ms > slowMs
          ? {
              layer: 'http',
              code: 'http-slow',
              message: `answered in ${ms} ms (slower than ${slowMs} ms)`,
              points: 'degraded',
              facts: { status: page.status, ms },
            }
          : {
              layer: 'http',
              code: 'http-ok',
              message: `HTTP ${page.status} in ${ms} ms`,
              points: 'healthy',
              facts: { status: page.status, ms, redirects: hops.length },
            },
      );
      if (target.role !== 'mirror') return result();

      // Integrity: the signed manifest, then a sample of the files it lists. Redirects are followed
      // as the edge's mirrors follow them: the bytes are checked wherever they come from.
      const base = target.url;
      const follow = { max: maxRedirects };
      let manifest: Manifest;
      try {
        const [mBody, sBody] = await Promise.all(
          [MANIFEST_PATH, SIGNATURE_PATH].map(async (p) => {
            const res = await http(snapshotUrl(base, p), { timeoutMs: left(), maxBytes, signal, redirects: follow });
            if (res.status !== 200) throw new FetchError(res.url, 'http-status', `answered HTTP ${res.status}`, res.status);
            return res.body;
          }),
        );
        const version = minVersion(target);
        manifest = acceptManifest(mBody ?? new Uint8Array(0), new TextDecoder().decode(sBody), {
          publicKey,
          now: now(),
          ...(version === undefined ? {} : { minVersion: version }),
        });
      } catch (e) {
        evidence.push(manifestFailure(e, target.id));
        return result();
      }

      const sample = chooseSample(manifest, context.round, sampleSize, maxBytes);
      let checked = 0;
      for (const path of sample) {
        const expected = manifest.files[path];
        if (expected === undefined) continue;
        const url = snapshotUrl(base, path);
        let res: HttpResponse;
        try {
          // Up to the listed size and a margin: a longer body is read far enough to show it differs.
          res = await http(url, { timeoutMs: left(), maxBytes: Math.min(maxBytes, expected.size + 65_536), signal, redirects: follow });
        } catch (e) {
          evidence.push(fileFailure(e, path));
          continue;
        }
        if (res.status === 404 || res.status === 410) {
          evidence.push({
            layer: 'integrity',
            code: 'integrity-missing',
            message: `${path} is listed in the manifest but answers HTTP ${res.status}`,
            points: 'degraded',
            facts: { path, status: res.status },
          });
          continue;
        }
        if (res.status !== 200) {
          evidence.push({
            layer: 'integrity',
            code: 'integrity-unavailable',
            message: `${path} answered HTTP ${res.status}`,
            points: 'degraded',
            facts: { path, status: res.status },
          });
          continue;
        }
        try {
          checkFile(manifest, path, res.body, target.id);
          checked++;
        } catch (e) {
          if (!(e instanceof IntegrityError)) throw e;
          evidence.push({
            layer: 'integrity',
            code: 'integrity-mismatch',
            message: e.message,
            points: 'compromised',
            confirmed: true,
            facts: {
              path,
              expectedSha256: expected.sha256,
              expectedSize: expected.size,
              actualSha256: e.actual.sha256,
              actualSize: e.actual.size,
            },
          });
        }
      }
      if (checked > 0 && !evidence.some((e) => e.layer === 'integrity')) {
        evidence.push({
          layer: 'integrity',
          code: 'integrity-ok',
          message: `manifest version ${manifest.version} verifies; ${checked} sampled files match`,
          points: 'healthy',
          facts: { version: manifest.version, checked },
        });
      }
      return result(manifest.version);
    },
  };
}

function httpFailure(e: unknown, url: string): Evidence {
  if (!(e instanceof FetchError)) throw e;
  switch (e.problem) {
    case 'timeout':
      return { layer: 'http', code: 'http-timeout', message: e.message, points: 'unreachable', facts: { url } };
    case 'too-large':
      return { layer: 'http', code: 'http-too-large', message: e.message, points: 'degraded', facts: { url } };
    case 'redirect':
      return { layer: 'http', code: 'http-redirect', message: e.message, points: 'unreachable', facts: { url } };
    case 'aborted':
      return { layer: 'http', code: 'probe-aborted', message: e.message, points: 'degraded', facts: { url } };
    default:
      return { layer: 'http', code: 'http-unreachable', message: e.message, points: 'unreachable', facts: { url } };
  }
}

/** A manifest that does not verify is certain tampering; one that cannot be fetched is not. */
function manifestFailure(e: unknown, target: string): Evidence {
  if (e instanceof RollbackError)
    return { layer: 'integrity', code: 'integrity-rollback', message: `${target}: ${e.message}`, points: 'compromised', confirmed: true };
  if (e instanceof ExpiredError)
    return { layer: 'integrity', code: 'integrity-expired', message: `${target}: ${e.message}`, points: 'compromised', confirmed: true };
  if (e instanceof SignatureError || e instanceof ManifestError) {
    return { layer: 'integrity', code: 'integrity-signature', message: `${target}: ${e.message}`, points: 'compromised', confirmed: true };
  }
  if (e instanceof FetchError) {
    return {
      layer: 'integrity',
      code: 'integrity-no-manifest',
      message: `the signed manifest could not be fetched: ${e.message}`,
      points: 'unreachable',
      facts: { url: e.url },
    };
  }
  // Signed but unreadable: the publisher's mistake rather than a mirror's tampering.
  return {
    layer: 'integrity',
    code: 'integrity-invalid',
    message: `${target}: ${e instanceof Error ? e.message : String(e)}`,
    points: 'degraded',
  };
}

function fileFailure(e: unknown, path: string): Evidence {
  if (!(e instanceof FetchError)) throw e;
  // Too large for the listed size: could be a big error page as well as a padded file, so not proof.
  const code = e.problem === 'too-large' ? 'integrity-oversize' : 'integrity-unavailable';
  return { layer: 'integrity', code, message: `${path}: ${e.detail}`, points: 'degraded', facts: { path } };
}
