// `ferry check`: one health-check round from this machine over the mirror list the edge reads.
import { resolve } from 'node:path';
import { DEFAULT_HEALTH_CONFIG, toRoundPolicies } from '../../core/health-config.ts';
import type { TargetState } from '../../core/health/health-state.ts';
import { ORIGIN_TARGET, type Evidence } from '../../core/health/observation.ts';
import { createMemoryHealthStore } from '../../adapters/health/memory-health-store.ts';
import { createSqliteHealthStore } from '../../adapters/health/sqlite-health-store.ts';
import { runCheckRound, type CheckTarget, type RoundOutcome } from '../../health/check-round.ts';
import { parseFlags, UsageError, type Command } from '../cli-io.ts';
import { readPublicKey } from '../keys.ts';
import { loadCheckTargets } from '../health-targets.ts';
import { createLocalProber, LOCAL_VANTAGE } from '../local-prober.ts';
import { roundNumber } from '../health-job.ts';

export const command: Command = {
  name: 'check',
  summary: 'probe every mirror (and the origin) once from here: healthy, degraded, unreachable, blocked or compromised',
  usage: `ferry check --mirrors FILE --pubkey FILE [--origin URL] [--state FILE] [--json]

  One round of the health checker from this machine: DNS, TCP, TLS, HTTP, then the signed
  manifest and a sample of files verified with the publisher's key, for every mirror of FILE
  that has an address (the mirror list \`ferry edge\` reads), and the origin given with --origin.
  Prints each mirror's verdict with its evidence and the mirror the canonical link should point to.
  Exits 0 when that mirror is healthy, 1 otherwise.

  --state FILE  keep states in FILE (SQLite; created on first use), so hysteresis carries over
                between runs (${DEFAULT_HEALTH_CONFIG.failuresToDown} failing rounds to go down, ${DEFAULT_HEALTH_CONFIG.successesToUp} good ones to come back; a tampered
                byte is compromised at once) and the canonical keeps its cooldown. Without it,
                this round is judged alone.
  --json        print {"mirrors":[{"id","verdict","since","evidence":[...]}],"origin":{...},"canonical":"<id>"}`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      mirrors: { type: 'string' },
      pubkey: { type: 'string' },
      origin: { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.mirrors === undefined) throw new UsageError('--mirrors FILE is required (the mirror list, e.g. mirrors/mirrors.json)');
    if (values.pubkey === undefined) throw new UsageError("--pubkey FILE is required (the publisher's ferry.pub)");
    if (values.origin !== undefined && !/^https?:\/\/[^/]+/i.test(values.origin)) {
      throw new UsageError('--origin must be the http(s) address of the blog Ferry ingests from');
    }
    const publicKey = await readPublicKey(resolve(io.cwd, values.pubkey));
    const targets = await loadCheckTargets(resolve(io.cwd, values.mirrors), values.origin);
    if (targets.length === 0) throw new UsageError(`${values.mirrors}: no mirror has an address to probe (http or ipfs-gateway)`);
    const store = values.state === undefined ? createMemoryHealthStore() : createSqliteHealthStore(resolve(io.cwd, values.state));
    const health = DEFAULT_HEALTH_CONFIG;
    let outcome: RoundOutcome;
    try {
      outcome = await runCheckRound({
        targets,
        prober: createLocalProber({ publicKey, health, store }),
        store,
        vantage: LOCAL_VANTAGE,
        policies: toRoundPolicies(health),
        round: roundNumber(new Date(), health.every),
        concurrency: health.concurrency,
        onProbe: (r) => {
          if (values.json !== true) io.err(`  probed ${r.target}: ${r.verdict}`);
        },
      });
    } finally {
      await store.close();
    }
    const report = checkReport(outcome, targets);
    if (values.json === true) io.out(JSON.stringify(report, null, 2));
    else printReport(report, outcome, io.out);
    const canonical = outcome.states.find((s) => s.target === report.canonical);
    return canonical?.state === 'healthy' ? 0 : 1;
  },
};

interface TargetReport {
  id: string;
  url: string;
  verdict: string;
  since: string;
  blockedIn?: string[];
  evidence: Evidence[];
}

export interface CheckReport {
  mirrors: TargetReport[];
  origin?: TargetReport;
  canonical: string | null;
  reason: string;
}

export function checkReport(outcome: RoundOutcome, targets: readonly CheckTarget[]): CheckReport {
  const urlOf = new Map(targets.map((t) => [t.id, t.url]));
  const toReport = (s: TargetState): TargetReport => ({
    id: s.target,
    url: urlOf.get(s.target) ?? '',
    verdict: s.state,
    since: s.since,
    ...(s.blockedIn.length > 0 ? { blockedIn: s.blockedIn } : {}),
    evidence: s.evidence,
  });
  const origin = outcome.states.find((s) => s.target === ORIGIN_TARGET);
  return {
    mirrors: outcome.states.filter((s) => s.target !== ORIGIN_TARGET).map(toReport),
    ...(origin === undefined ? {} : { origin: toReport(origin) }),
    canonical: outcome.canonical.id ?? null,
    reason: outcome.canonical.reason,
  };
}

function printReport(report: CheckReport, outcome: RoundOutcome, out: (line: string) => void): void {
  const rows = [...report.mirrors, ...(report.origin === undefined ? [] : [report.origin])];
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) {
    out(
      `${r.id.padEnd(width)}  ${r.verdict.padEnd(11)} ${r.url}${r.blockedIn === undefined ? '' : ` (blocked in ${r.blockedIn.join(', ')})`}`,
    );
    for (const e of r.evidence) out(`${' '.repeat(width + 2)}- ${e.layer}: ${e.message}`);
  }
  out(`canonical: ${report.canonical ?? 'none'} (${report.reason})`);
  out(`round took ${Date.parse(outcome.finishedAt) - Date.parse(outcome.startedAt)} ms`);
}
