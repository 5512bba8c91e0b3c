// The local prober (Node): one target from this machine, layer by layer, as a reader's request
// goes: DNS (system vs DNS-over-HTTPS, bogons, injection), TCP, TLS (certificate, SNI test), HTTP
// (status, timings, redirects), then for a mirror the signed manifest and a sample of its files,
// block-page fingerprints and, when configured, a control fetch. The origin gets the same
// reachability probes plus what the ingest guard saw. One deadline over the whole probe; each
// layer has its own. Never throws for what the target did: that is evidence.
import type { Fingerprint } from '../../core/health/block-fingerprints.ts';
import { DEFAULT_FINGERPRINTS } from '../../core/health/default-fingerprints.ts';
import { blockPageEvidence, bodyText, type SampleOptions } from '../../core/health/integrity-check.ts';
import { isCidr, isIpLiteral } from '../../core/health/ip-ranges.ts';
import { classifyEvidence, type Evidence, type ProbeResult, type Timings } from '../../core/health/observation.ts';
import { guardEvidence, type GuardReport } from '../../core/health/origin-evidence.ts';
import type { ProbeContext, Prober, ProbeTarget } from '../../ports/prober.ts';
import { createHttpCall } from '../web/http-call.ts';
import { controlEvidence, type ControlFetch } from './control-probe.ts';
import { probeDns, type DnsResolver, type InjectionProbe } from './dns-probe.ts';
import { createPinnedHttp, probeHttp } from './http-probe.ts';
import { probeIntegrity } from './integrity-probe.ts';
import { probeTcp, probeTls } from './tcp-tls-probe.ts';

export interface ProbeTimeouts {
  dnsMs: number;
  connectMs: number;
  tlsMs: number;
  /** Each HTTP request (the base URL, the manifest, each sampled file). */
  httpMs: number;
  /** The whole probe of one target. */
  totalMs: number;
  /** An answer slower than this is `degraded`. */
  slowMs: number;
}

export interface ProbeLimits {
  /** Largest body read for the base URL and for analysis, in bytes. */
  maxBytes: number;
  manifestMaxBytes: number;
  /** Sampled files fetched at once. */
  concurrency: number;
}

export const DEFAULT_TIMEOUTS: ProbeTimeouts = {
  dnsMs: 5_000,
  connectMs: 10_000,
  tlsMs: 10_000,
  httpMs: 15_000,
  totalMs: 60_000,
  slowMs: 5_000,
};
export const DEFAULT_LIMITS: ProbeLimits = { maxBytes: 4 * 1024 * 1024, manifestMaxBytes: 16 * 1024 * 1024, concurrency: 4 };

export type { ControlFetch } from './control-probe.ts';

export interface ProberOptions {
  /** The publisher's pinned ed25519 key, as the edge pins it. */
  publicKey: Uint8Array;
  /** For DNS-over-HTTPS (default globalThis.fetch). Targets are fetched through undici, pinned to the address probed. */
  fetch?: typeof globalThis.fetch;
  /** The system resolver (default node:dns/promises Resolver). */
  resolver?: DnsResolver;
  /** RFC 8484 endpoint; null: no DoH comparison. */
  dohUrl?: string | null;
  now?: () => Date;
  timeouts?: Partial<ProbeTimeouts>;
  limits?: Partial<ProbeLimits>;
  /** Hosts pages may load from besides their own (content analysis). */
  allowHosts?: readonly string[];
  /** Block-page and forged-answer fingerprints (default: the shipped set). */
  fingerprints?: readonly Fingerprint[];
  control?: ControlFetch;
  /** Address ranges DNS answers may fall in without being flagged (a LAN mirror). */
  trustedRanges?: readonly string[];
  /** Trusted CAs (PEM) instead of Node's bundled ones. */
  ca?: string | string[];
  /** The neutral name of the SNI test (default example.com). */
  neutralSni?: string;
  injection?: InjectionProbe;
  sample?: SampleOptions;
  /** The highest manifest version seen from this target before (rollback check). */
  lastVersion?: (target: ProbeTarget) => number | undefined | Promise<number | undefined>;
  /** What the ingest guard saw at the origin (role 'origin' only). */
  originReport?: (target: ProbeTarget) => GuardReport | undefined | Promise<GuardReport | undefined>;
}

export const DEFAULT_DOH_URL = 'https://cloudflare-dns.com/dns-query';

/** A prober option that cannot work, naming the option and what to give instead. */
export class ProberConfigError extends Error {
  override name = 'ProberConfigError';
}

function validate(options: ProberOptions, timeouts: ProbeTimeouts, limits: ProbeLimits): void {
  const fail = (field: string, fix: string): never => {
    throw new ProberConfigError(`prober option ${field}: ${fix}`);
  };
  if (options.publicKey.length !== 32) fail('publicKey', `must be a 32-byte ed25519 public key, got ${options.publicKey.length} bytes`);
  for (const [name, value] of Object.entries({ ...timeouts, ...limits })) {
    if (!Number.isFinite(value) || value <= 0) fail(name, `must be a positive number, got ${String(value)}`);
  }
  for (const r of options.trustedRanges ?? [])
    if (!isCidr(r)) fail('trustedRanges', `'${r}' is not an address or CIDR range (e.g. 10.0.0.0/8)`);
  if (typeof options.dohUrl === 'string' && !/^https?:\/\//.test(options.dohUrl))
    fail('dohUrl', `'${options.dohUrl}' must be an http(s) URL (RFC 8484), or null for none`);
  if (options.injection !== undefined && !isIpLiteral(options.injection.server)) {
    fail('injection.server', `'${options.injection.server}' must be an IP address that runs no DNS resolver`);
  }
}

export function createProber(options: ProberOptions): Prober {
  const timeouts: ProbeTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const limits: ProbeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  validate(options, timeouts, limits);
  const now = options.now ?? (() => new Date());
  const fingerprints = options.fingerprints ?? DEFAULT_FINGERPRINTS;
  const allowHosts = options.allowHosts ?? [];
  const dohUrl = options.dohUrl === null ? undefined : (options.dohUrl ?? DEFAULT_DOH_URL);
  const http = createHttpCall(options.fetch === undefined ? {} : { fetch: options.fetch });

  return {
    async probe(target: ProbeTarget, context: ProbeContext): Promise<ProbeResult> {
      const at = now();
      const deadline = AbortSignal.timeout(timeouts.totalMs);
      const signal = context.signal === undefined ? deadline : AbortSignal.any([deadline, context.signal]);
      const evidence: Evidence[] = [];
      const timings: Timings = {};
      const started = Date.now();
      const result = (manifestVersion?: number): ProbeResult => {
        timings.totalMs = Date.now() - started;
        if (context.signal?.aborted === true && !deadline.aborted) {
          // The caller cancelled (a shutdown, a round cut short): what failed after that says
          // nothing about the target. Certain findings made before it stay.
          const kept = evidence.filter((e) => e.points === 'healthy' || e.confirmed === true);
          evidence.length = 0;
          evidence.push(...kept, {
            layer: 'http',
            code: 'probe-aborted',
            message: 'the probe was cancelled before it finished',
            points: 'degraded',
          });
        } else if (deadline.aborted && !evidence.some((e) => e.points !== 'healthy')) {
          evidence.push({
            layer: 'http',
            code: 'probe-deadline',
            message: `the probe did not finish within ${timeouts.totalMs} ms`,
            points: 'degraded',
          });
        }
        return {
          target: target.id,
          vantage: context.vantage,
          at: at.toISOString(),
          verdict: classifyEvidence(evidence),
          evidence,
          timings,
          ...(manifestVersion === undefined ? {} : { manifestVersion }),
        };
      };

      let url: URL;
      try {
        url = new URL(target.url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        evidence.push({ layer: 'http', code: 'bad-url', message: `${target.url} is not an http(s) address`, points: 'unreachable' });
        return result();
      }
      if (target.role === 'origin') {
        const report = await options.originReport?.(target);
        if (report !== undefined) evidence.push(...guardEvidence(report));
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);

      // DNS
      let address = host;
      if (!isIpLiteral(host)) {
        const dns = await probeDns(host, {
          ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
          http,
          dohUrl,
          timeoutMs: timeouts.dnsMs,
          trustedRanges: options.trustedRanges ?? [],
          fingerprints,
          injection: options.injection,
          signal,
        });
        evidence.push(...dns.evidence);
        timings.dnsMs = dns.ms;
        const first = dns.addresses[0];
        if (first === undefined) return result();
        address = first;
      }

      // TCP, TLS
      const tcp = await probeTcp(address, port, { timeoutMs: timeouts.connectMs, signal });
      evidence.push(...tcp.evidence);
      timings.connectMs = tcp.ms;
      if (!tcp.ok) return result();
      if (url.protocol === 'https:') {
        const tls = await probeTls(address, port, host, {
          timeoutMs: timeouts.tlsMs,
          now,
          ca: options.ca,
          ...(options.neutralSni === undefined ? {} : { neutralSni: options.neutralSni }),
          signal,
        });
        evidence.push(...tls.evidence);
        timings.tlsMs = tls.ms;
        if (!tls.ok) return result();
      }

      // HTTP
      const pinned = createPinnedHttp({ host, address, ca: options.ca, connectTimeoutMs: timeouts.connectMs });
      try {
        const got = await probeHttp(url.href, pinned, {
          timeoutMs: timeouts.httpMs,
          maxBytes: limits.maxBytes,
          slowMs: timeouts.slowMs,
          signal,
        });
        evidence.push(...got.evidence);
        if (got.firstByteMs !== undefined) timings.firstByteMs = got.firstByteMs;
        if (got.offsiteRedirect !== undefined) {
          evidence.push(
            ...blockPageEvidence(fingerprints, { url: url.href, body: '', headers: new Map([['location', got.offsiteRedirect]]) }),
          );
        }
        const response = got.response;
        if (response === undefined) return result();
        const ok = response.status >= 200 && response.status <= 299;

        let verified = false;
        let manifestVersion: number | undefined;
        if (target.role === 'mirror' && ok) {
          const integrity = await probeIntegrity(url.href, {
            http: pinned.http,
            publicKey: options.publicKey,
            now: now(),
            minVersion: await options.lastVersion?.(target),
            round: context.round,
            ...(options.sample === undefined ? {} : { sample: options.sample }),
            timeoutMs: timeouts.httpMs,
            manifestMaxBytes: limits.manifestMaxBytes,
            analysisBytes: Math.min(limits.maxBytes, 256 * 1024),
            fingerprints,
            allowHosts,
            index: response,
            concurrency: limits.concurrency,
            signal,
          });
          evidence.push(...integrity.evidence);
          manifestVersion = integrity.manifestVersion;
          verified = integrity.evidence.every((e) => e.points === 'healthy');
        }
        // Bytes the signature vouches for are no block page; anything else may be one.
        if (!verified) {
          const seen = new Set(evidence.filter((e) => e.layer === 'blockpage').map((e) => e.facts?.fingerprint));
          for (const b of blockPageEvidence(fingerprints, {
            url: response.url,
            body: bodyText(response.body),
            headers: response.headers,
          })) {
            if (!seen.has(b.facts?.fingerprint)) evidence.push(b);
          }
          if (options.control !== undefined) evidence.push(...(await controlEvidence(options.control, url.href, response, signal)));
        }
        return result(manifestVersion);
      } finally {
        await pinned.close();
      }
    },
  };
}
