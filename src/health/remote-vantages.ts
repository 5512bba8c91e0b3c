// Before a round, the vantage points that report on their own schedule: OONI's measurements and
// the Worker cron's probes, read and recorded in the health store, where runCheckRound finds them
// among the other vantage points' recent reports. A source that fails says so and records nothing;
// it never stops the round.
// - OONI is a shared public service and its data changes slowly: it is asked at most every
//   `ooniEveryMs` (default 1 h); in between, its last results are recorded again, dated now, with
//   their measurements' age grown by the time since they were read.
// - The Worker's newest result per mirror is recorded once (a result already stored is skipped).
import type { ProbeResult } from '../core/health/observation.ts';
import type { OoniSource } from '../adapters/probes/ooni-source.ts';
import type { WorkerHealthClient } from '../adapters/probes/worker-health-client.ts';
import type { HealthStore } from '../ports/health-store.ts';
import type { ProbeTarget } from '../ports/prober.ts';

export interface RemoteVantageOptions {
  ooni?: OoniSource;
  worker?: WorkerHealthClient;
  /** Least time between two OONI reads, ms (default 1 h). */
  ooniEveryMs?: number;
  now?: () => Date;
}

export interface RemoteVantageReadout {
  recorded: ProbeResult[];
  /** One line per problem, naming the source and the URL. */
  problems: string[];
  /** OONI was asked this time (not its last answer again). */
  askedOoni: boolean;
}

export interface RemoteVantages {
  collect(
    targets: readonly ProbeTarget[],
    store: Pick<HealthStore, 'recordResults' | 'latestResults'>,
    signal?: AbortSignal,
  ): Promise<RemoteVantageReadout>;
}

export function createRemoteVantages({
  ooni,
  worker,
  ooniEveryMs = 3_600_000,
  now = () => new Date(),
}: RemoteVantageOptions): RemoteVantages {
  let last: { at: number; targets: string; results: ProbeResult[] } | undefined;
  return {
    async collect(targets, store, signal) {
      const at = now();
      const known = new Set(targets.map((t) => t.id));
      const targetKey = targets.map((t) => `${t.id}\0${t.url}`).join('\n');
      const askOoni = ooni !== undefined && (last === undefined || last.targets !== targetKey || at.getTime() - last.at >= ooniEveryMs);
      const [fromOoni, fromWorker] = await Promise.all([askOoni ? ooni.read(targets, signal) : undefined, worker?.read(known, signal)]);
      const problems = [
        ...(fromOoni?.problems ?? []).map((p) => `OONI (${p.target}, ${p.country}): ${p.message}`),
        ...(fromWorker?.problem === undefined ? [] : [`Worker: ${fromWorker.problem}`]),
      ];
      let ooniResults: ProbeResult[] = [];
      if (fromOoni !== undefined) {
        ooniResults = fromOoni.results;
        last = { at: at.getTime(), targets: targetKey, results: fromOoni.results };
      } else if (last !== undefined) {
        ooniResults = restate(last.results, Math.round((at.getTime() - last.at) / 1000), at);
      }

      let workerResults = fromWorker?.results ?? [];
      if (workerResults.length > 0) {
        const oldest = workerResults.map((r) => r.at).sort()[0] ?? at.toISOString();
        const stored = new Set((await store.latestResults(oldest)).map((r) => `${r.target}\0${r.vantage.id}\0${r.at}`));
        workerResults = workerResults.filter((r) => !stored.has(`${r.target}\0${r.vantage.id}\0${r.at}`));
      }
      const recorded = [...ooniResults, ...workerResults];
      if (recorded.length > 0) await store.recordResults(recorded);
      return { recorded, problems, askedOoni: fromOoni !== undefined };
    },
  };
}

/** The same results, dated `at`, their evidence `elapsed` seconds older. */
function restate(results: readonly ProbeResult[], elapsed: number, at: Date): ProbeResult[] {
  return results.map((r) => ({
    ...r,
    at: at.toISOString(),
    evidence: r.evidence.map((e) => (e.ageSeconds === undefined ? e : { ...e, ageSeconds: e.ageSeconds + elapsed })),
  }));
}
