// A small Prober over HTTP only: for a mirror, fetch the signed manifest, its signature and the
// index page, and check them with the publisher key, as the edge does; for the origin, fetch its
// feed URL. What went wrong is evidence (`http-unreachable`, `http-timeout`, `http-status`,
// `integrity-*`), never a throw. It is the default `ferry probe` uses until the full local prober
// (DNS, TCP, TLS, SNI, block pages: createProber) is wired in; both meet the same Prober port.
import { ExpiredError, IntegrityError, acceptManifest, checkFile } from '../../core/verify.ts';
import { utf8ToString } from '../../core/bytes.ts';
import { classifyEvidence, type Evidence, type ProbeResult } from '../../core/health/observation.ts';
import { FetchError } from '../../ports/fetch.ts';
import type { Prober, ProbeTarget } from '../../ports/prober.ts';
import { createHttpCall, type HttpCall, type HttpResponse } from '../web/http-call.ts';

export interface ManifestProberOptions {
  /** The publisher's public key: only manifests it signed are accepted. */
  publicKey: Uint8Array;
  http?: HttpCall;
  now?: () => Date;
  /** Deadline of each request, ms (default 10 s). */
  timeoutMs?: number;
  /** Slower than this (the whole probe) is `degraded`, ms (default 5 s). */
  slowMs?: number;
  /** Largest body read, bytes (default 4 MiB). */
  maxBytes?: number;
}

export function createManifestProber({
  publicKey,
  http = createHttpCall(),
  now = () => new Date(),
  timeoutMs = 10_000,
  slowMs = 5_000,
  maxBytes = 4 * 1024 * 1024,
}: ManifestProberOptions): Prober {
  return {
    async probe(target, { vantage, signal }) {
      const startedAt = now();
      const evidence: Evidence[] = [];
      const get = (url: string): Promise<HttpResponse> => http(url, { timeoutMs, maxBytes, signal, redirects: { max: 3 } });
      try {
        if (target.role === 'origin') {
          const r = await get(target.url);
          evidence.push(statusEvidence(r));
        } else {
          evidence.push(...(await probeMirror(target, get, publicKey, startedAt)));
        }
      } catch (e) {
        evidence.push(fetchEvidence(e));
      }
      const totalMs = now().getTime() - startedAt.getTime();
      if (totalMs > slowMs && classifyEvidence(evidence) === 'healthy') {
        evidence.push({ layer: 'http', code: 'http-slow', message: `answered in ${totalMs} ms`, points: 'degraded', facts: { totalMs } });
      }
      const result: ProbeResult = {
        target: target.id,
        vantage,
        at: startedAt.toISOString(),
        verdict: classifyEvidence(evidence),
        evidence,
        timings: { totalMs },
      };
      const version = evidence.find((e) => e.code === 'integrity-ok')?.facts?.version;
      if (typeof version === 'number') result.manifestVersion = version;
      return result;
    },
  };
}

async function probeMirror(
  target: ProbeTarget,
  get: (url: string) => Promise<HttpResponse>,
  publicKey: Uint8Array,
  now: Date,
): Promise<Evidence[]> {
  const base = target.url.endsWith('/') ? target.url : `${target.url}/`;
  const [manifest, signature] = await Promise.all([get(`${base}manifest.json`), get(`${base}manifest.json.sig`)]);
  for (const r of [manifest, signature]) if (r.status !== 200) return [statusEvidence(r)];
  let accepted;
  try {
    accepted = acceptManifest(manifest.body, utf8ToString(signature.body, 'manifest.json.sig'), { publicKey, now });
  } catch (e) {
    const code = e instanceof ExpiredError ? 'integrity-expired' : 'integrity-signature';
    return [{ layer: 'integrity', code, message: (e as Error).message, points: 'compromised', confirmed: true }];
  }
  const index = await get(`${base}index.html`);
  if (index.status !== 200) return [statusEvidence(index)];
  try {
    checkFile(accepted, '/index.html', index.body);
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    return [{ layer: 'integrity', code: 'integrity-mismatch', message: e.message, points: 'compromised', confirmed: true }];
  }
  return [
    {
      layer: 'integrity',
      code: 'integrity-ok',
      message: `manifest version ${accepted.version} verifies; /index.html matches`,
      points: 'healthy',
      facts: { version: accepted.version },
    },
  ];
}

function statusEvidence(r: HttpResponse): Evidence {
  if (r.status >= 200 && r.status < 300) {
    return { layer: 'http', code: 'http-ok', message: `HTTP ${r.status}`, points: 'healthy', facts: { status: r.status } };
  }
  return {
    layer: 'http',
    code: 'http-status',
    message: `${r.url} answered HTTP ${r.status}`,
    points: 'unreachable',
    facts: { status: r.status },
  };
}

function fetchEvidence(e: unknown): Evidence {
  if (e instanceof FetchError && e.problem === 'aborted') {
    // Cancelled by the caller: says nothing about the target.
    return { layer: 'http', code: 'probe-aborted', message: e.message, points: 'degraded' };
  }
  if (e instanceof FetchError) {
    const code = e.problem === 'timeout' ? 'http-timeout' : e.problem === 'too-large' ? 'http-too-large' : 'http-unreachable';
    return { layer: 'http', code, message: e.message, points: e.problem === 'too-large' ? 'degraded' : 'unreachable' };
  }
  return { layer: 'http', code: 'http-unreachable', message: e instanceof Error ? e.message : String(e), points: 'unreachable' };
}
