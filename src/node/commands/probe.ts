// `ferry probe --report-to URL --key FILE --mirrors FILE --pubkey FILE`: what a volunteer runs
// inside a restricted network. Probes every mirror in the list (and the origin, when given) from
// here, signs the results with the agent's own key, and posts them to the maintainers' Ferry,
// which accepts them only from enrolled keys. Only probe results are sent (docs/probe-agent.md).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { excerpt, createHttpCall, type HttpCall } from '../../adapters/web/http-call.ts';
import { createManifestProber } from '../../adapters/probes/manifest-prober.ts';
import { signAgentReport, type AgentReport } from '../../core/health/agent-report.ts';
import { ORIGIN_TARGET, type ProbeResult, type Vantage } from '../../core/health/observation.ts';
import { keyFingerprint, publicKeyOf } from '../../core/manifest.ts';
import { parseMirrorsConfig, type MirrorConfig } from '../../core/mirrors-config.ts';
import { isRecord } from '../../core/is-record.ts';
import { FetchError } from '../../ports/fetch.ts';
import type { Prober, ProbeTarget } from '../../ports/prober.ts';
import { UsageError, parseFlags, type Command } from '../cli-io.ts';
import { readPrivateKey, readPublicKey } from '../keys.ts';

const USAGE = `ferry probe --report-to URL --key FILE --mirrors FILE --pubkey FILE [--origin URL] [--country CC]
            [--timeout SECONDS] [--dry-run] [--json]

  --report-to URL  where the maintainers' Ferry takes reports, e.g. https://blog.example.org/_ferry/agent/report
                   (https; plain http only to this machine)
  --key FILE       this agent's private key (ferry keygen --out DIR writes DIR/ferry.key); the
                   maintainers enroll its ferry.pub with ferry agent enroll
  --mirrors FILE   the mirror list to probe (the same file the edge reads; mirrors without a URL are skipped)
  --pubkey FILE    the publisher's public key: a mirror's bytes are checked against it
  --origin URL     also probe the blog's origin (its feed URL)
  --country CC     where this machine is (e.g. CN); the report is refused if it is not the enrolled country
  --timeout S      deadline of each request (a probe makes up to three) and of sending the report (default 15)
  --dry-run        print the report that would be sent, send nothing
  --json           print the results and the receiver's answer as JSON`;

/** Probes running at once. */
const CONCURRENCY = 8;

export interface ProbeCommandDeps {
  /**
   * The prober for this machine. Default: the manifest prober (HTTP, signed manifest and index
   * page); the full local prober replaces it once wired.
   */
  makeProber?: (options: { publicKey: Uint8Array; timeoutMs: number }) => Prober;
  http?: HttpCall;
  now?: () => Date;
  nonce?: () => string;
}

export function createProbeCommand({
  makeProber = ({ publicKey, timeoutMs }) => createManifestProber({ publicKey, timeoutMs }),
  http = createHttpCall(),
  now = () => new Date(),
  nonce = () => randomBytes(18).toString('base64url'),
}: ProbeCommandDeps = {}): Command {
  return {
    name: 'probe',
    summary: 'probe the mirrors from this network and post a signed report to the maintainers (an agent)',
    usage: USAGE,
    async run(args, io) {
      const { values } = parseFlags(args, {
        'report-to': { type: 'string' },
        key: { type: 'string' },
        mirrors: { type: 'string' },
        pubkey: { type: 'string' },
        origin: { type: 'string' },
        country: { type: 'string' },
        timeout: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const dryRun = values['dry-run'] === true;
      const reportTo = values['report-to'];
      if (reportTo === undefined && !dryRun) throw new UsageError('--report-to URL is required (or --dry-run to only print the report)');
      if (reportTo !== undefined) checkReportUrl(reportTo);
      if (values.key === undefined) throw new UsageError("--key FILE is required (this agent's ferry.key, from ferry keygen)");
      if (values.mirrors === undefined) throw new UsageError('--mirrors FILE is required (the mirror list to probe)');
      if (values.pubkey === undefined) throw new UsageError("--pubkey FILE is required (the publisher's ferry.pub)");
      const country = values.country;
      if (country !== undefined && !/^[A-Z]{2}$/.test(country))
        throw new UsageError(`--country must be a two-letter code in capitals such as CN, not '${country}'`);
      const seconds = values.timeout === undefined ? 15 : Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600)
        throw new UsageError(`--timeout must be 1-600 seconds, not '${values.timeout}'`);
      const timeoutMs = Math.round(seconds * 1000);

      const privateKey = await readPrivateKey(resolve(io.cwd, values.key));
      const agentKey = publicKeyOf(privateKey);
      const publisherKey = await readPublicKey(resolve(io.cwd, values.pubkey));
      const targets = await readTargets(resolve(io.cwd, values.mirrors), values.origin);
      const vantage: Vantage = { id: keyFingerprint(agentKey), kind: 'agent', ...(country === undefined ? {} : { country }) };

      const prober = makeProber({ publicKey: publisherKey, timeoutMs });
      const results = await mapLimit(targets, CONCURRENCY, (t) =>
        prober.probe(t, { vantage, round: Math.floor(now().getTime() / 300_000) }).catch((e: unknown): ProbeResult => ({
          target: t.id,
          vantage,
          at: now().toISOString(),
          verdict: 'degraded',
          evidence: [
            { layer: 'http', code: 'probe-failed', message: `the probe itself failed: ${(e as Error).message}`, points: 'degraded' },
          ],
        })),
      );
      const report: AgentReport = {
        agent: keyFingerprint(agentKey),
        ...(country === undefined ? {} : { country }),
        sentAt: now().toISOString(),
        nonce: nonce(),
        results,
      };
      if (dryRun || reportTo === undefined) {
        io.out(JSON.stringify(report, null, 2));
        return 0;
      }
      const signed = signAgentReport(report, privateKey, agentKey);
      const answer = await post(http, reportTo, JSON.stringify(signed), timeoutMs);
      if (values.json === true)
        io.out(JSON.stringify({ results: results.map(summary), status: answer.status, answer: answer.json }, null, 2));
      else {
        for (const r of results)
          io.out(`${r.target}: ${r.verdict}${r.evidence.length > 0 ? ` (${r.evidence.map((e) => e.code).join(', ')})` : ''}`);
      }
      if (answer.status === 200) {
        io.err(`report accepted by ${reportTo}${answer.agent === undefined ? '' : ` as agent '${answer.agent}'`}`);
        return 0;
      }
      io.err(`report refused by ${reportTo}: HTTP ${answer.status}: ${answer.message}`);
      return 1;
    },
  };
}

export const command = createProbeCommand();

function checkReportUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--report-to: '${url}' is not a URL`);
  }
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) {
    throw new UsageError(`--report-to must be an https URL (plain http only to this machine), not '${url}'`);
  }
}

async function readTargets(file: string, origin: string | undefined): Promise<ProbeTarget[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--mirrors: cannot read ${file} (${(e as Error).message})`);
  }
  const mirrors = parseMirrorsConfig(text, basename(file), ['http', 'ipfs-gateway', 'directory', 'kv']);
  const targets: ProbeTarget[] = mirrors.flatMap((m) => {
    const url = probeUrl(m);
    return url === undefined ? [] : [{ id: m.id, url, role: 'mirror' as const }];
  });
  if (origin !== undefined) {
    if (!/^https?:\/\//i.test(origin)) throw new UsageError(`--origin must be an http(s) URL, not '${origin}'`);
    targets.push({ id: ORIGIN_TARGET, url: origin, role: 'origin' });
  }
  if (targets.length === 0) throw new UsageError(`${file}: no mirror has a URL to probe (http or ipfs-gateway), and no --origin`);
  return targets;
}

function probeUrl(m: MirrorConfig): string | undefined {
  if (m.kind === 'http') return m.url;
  if (m.kind === 'ipfs-gateway') return `${m.url}ipfs/${m.cid}/`;
  return undefined;
}

interface Answer {
  status: number;
  message: string;
  agent?: string;
  json: unknown;
}

async function post(http: HttpCall, url: string, body: string, timeoutMs: number): Promise<Answer> {
  try {
    const r = await http(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs,
      maxBytes: 64 * 1024,
    });
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(r.body));
    } catch {
      json = undefined;
    }
    const message = isRecord(json) && typeof json.message === 'string' ? json.message : excerpt(r.body);
    const agent = isRecord(json) && typeof json.agent === 'string' ? json.agent : undefined;
    return { status: r.status, message, json, ...(agent === undefined ? {} : { agent }) };
  } catch (e) {
    if (e instanceof FetchError) throw new FetchError(url, e.problem, `cannot send the report: ${e.detail}`, e.status);
    throw e;
  }
}

function summary(r: ProbeResult): { target: string; verdict: string; evidence: string[] } {
  return { target: r.target, verdict: r.verdict, evidence: r.evidence.map((e) => e.code) };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const item = items[i];
      if (item === undefined) return;
      out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
