// The health checker as `ferry serve` runs it: the targets from the mirror list and the origin,
// the local prober, states and history in the data folder's SQLite file, a round on schedule,
// then rotation (republish with the new canonical and mirror list, the edge told to stop asking
// a compromised mirror) and whatever else follows a round (alerts).
import { join } from 'node:path';
import { toRoundPolicies } from '../core/health-config.ts';
import type { MirrorRef } from '../core/model.ts';
import { createSqliteHealthStore } from '../adapters/health/sqlite-health-store.ts';
import { readCurrentManifest } from '../adapters/node/snapshot-dir.ts';
import { runCheckRound, type CheckTarget, type RoundOutcome } from '../health/check-round.ts';
import { currentChoice, rotate, type RotationDeps, type RotationResult } from '../health/rotate.ts';
import type { HealthStore } from '../ports/health-store.ts';
import type { Prober } from '../ports/prober.ts';
import type { LoadedConfig } from './load-config.ts';
import { scheduleHealth, type HealthJob } from './health-job.ts';
import { createLocalProber, LOCAL_VANTAGE } from './local-prober.ts';
import type { Republisher } from './republisher.ts';
import { createRemoteVantages, type RemoteVantages } from '../health/remote-vantages.ts';
import { createOoniSource } from '../adapters/probes/ooni-source.ts';
import { createWorkerHealthClient } from '../adapters/probes/worker-health-client.ts';
import { ConfigError } from '../core/config-error.ts';
import type { HealthConfig } from '../core/health-config.ts';
import type { GuardReport } from '../core/health/origin-evidence.ts';

/** Where `ferry serve` keeps health states and history. */
export function healthStoreFile(dataDir: string): string {
  return join(dataDir, 'health.db');
}

export interface HealthServiceOptions {
  config: LoadedConfig;
  targets: readonly CheckTarget[];
  /** The public mirror list (with URLs), what rotation signs. */
  mirrors: readonly MirrorRef[];
  publicKey: Uint8Array;
  store: HealthStore;
  /** Started lazily by `ferry serve`: rotation republishes through it. */
  republisher: () => Republisher;
  exclusions?: RotationDeps['exclusions'];
  /** Default: the local prober. */
  prober?: Prober;
  log: (line: string) => void;
  /** After rotation: alerts. */
  after?(outcome: RoundOutcome, rotation: RotationResult, signal: AbortSignal): Promise<void>;
  /** Mirrors a maintainer paused (probed, never canonical), asked before every round. */
  paused?: () => Promise<ReadonlySet<string>>;
  /** What the last ingest's guard saw at the origin (compromise evidence for the origin's probe). */
  originReport?: () => Promise<GuardReport | undefined>;
  /** Vantage points that report on their own (OONI, the Worker): read before every round. */
  remote?: RemoteVantages;
}

export interface HealthService {
  job: HealthJob;
  store: HealthStore;
  /** Rotation alone (after a maintainer forced the canonical or paused a mirror). */
  rotateNow(): Promise<RotationResult>;
  stop(): Promise<void>;
}

export function openHealthStore(config: LoadedConfig): HealthStore {
  return createSqliteHealthStore(healthStoreFile(config.data));
}

/** What the republisher should sign, from the health store (rotation's single source). */
export function healthChoice(store: HealthStore, mirrors: readonly MirrorRef[]) {
  return async () => {
    const choice = await currentChoice(store, mirrors);
    return { canonical: choice.canonical, mirrors: choice.mirrors };
  };
}

export function startHealthService(opts: HealthServiceOptions): HealthService {
  const { config, store } = opts;
  const health = config.health;
  const prober =
    opts.prober ??
    createLocalProber({
      publicKey: opts.publicKey,
      health,
      store,
      ...(opts.originReport === undefined ? {} : { originReport: opts.originReport }),
    });
  const rotateNow = async (): Promise<RotationResult> => {
    const rotation = await rotate({
      mirrors: opts.mirrors,
      store,
      readSigned: async () => {
        const m = await readCurrentManifest(config.out);
        return m === undefined ? undefined : { canonical: m.canonical, mirrorIds: m.mirrors.map((x) => x.id) };
      },
      republish: async (reason) => {
        opts.log(`rotation: ${reason}; republishing`);
        const { run } = await opts.republisher().run('rotation');
        opts.log(
          `rotation republish ${run.id}: ${run.outcome}${run.version === undefined ? '' : ` (version ${run.version})`}${run.error === undefined ? '' : `: ${run.error}`}`,
        );
        return {
          outcome: run.outcome,
          ...(run.version === undefined ? {} : { version: run.version }),
          ...(run.error === undefined ? {} : { error: run.error }),
        };
      },
      ...(opts.exclusions === undefined ? {} : { exclusions: opts.exclusions }),
    });
    for (const id of rotation.excluded) opts.log(`edge: no longer asking '${id}' (compromised)`);
    for (const id of rotation.included) opts.log(`edge: asking '${id}' again`);
    return rotation;
  };
  const job = scheduleHealth({
    health,
    log: (line) => opts.log(line),
    round: async (round, signal) => {
      if (opts.remote !== undefined) {
        const readout = await opts.remote.collect(opts.targets, store, signal);
        for (const problem of readout.problems) opts.log(`health: ${problem}`);
      }
      return runCheckRound({
        targets: opts.targets,
        prober,
        store,
        vantage: LOCAL_VANTAGE,
        policies: toRoundPolicies(health),
        round,
        concurrency: health.concurrency,
        signal,
        ...(opts.paused === undefined ? {} : { paused: await opts.paused() }),
      });
    },
    after: async (outcome, signal) => {
      const rotation = await rotateNow();
      await opts.after?.(outcome, rotation, signal);
    },
  });
  return {
    job,
    store,
    rotateNow,
    stop: async () => {
      await job.stop();
    },
  };
}

/** OONI and the Worker as the health config names them, or undefined when neither is on. */
export function remoteVantagesFor(health: HealthConfig, env: Readonly<Record<string, string | undefined>>): RemoteVantages | undefined {
  const ooni = health.ooni === undefined ? undefined : createOoniSource({ baseUrl: health.ooni.baseUrl, countries: health.countries });
  let worker;
  if (health.worker !== undefined) {
    const token = env[health.worker.tokenEnv];
    if (token === undefined || token === '') {
      throw new ConfigError(
        `health.worker: environment variable ${health.worker.tokenEnv} is not set; export the value of the Worker's FERRY_HEALTH_TOKEN secret under that name`,
      );
    }
    worker = createWorkerHealthClient({ url: health.worker.url, token });
  }
  if (ooni === undefined && worker === undefined) return undefined;
  return createRemoteVantages({
    ...(ooni === undefined ? {} : { ooni }),
    ...(worker === undefined ? {} : { worker }),
    ...(health.ooni === undefined ? {} : { ooniEveryMs: health.ooni.everyMinutes * 60_000 }),
  });
}
