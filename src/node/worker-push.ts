// After each health round, when health.worker is set: push ferry serve's dashboard view to the
// Worker, apply the maintainers' requests its answer carries (Make canonical on the Worker)
// through the same dashboard backend `ferry serve`'s own page uses, and acknowledge them so each
// applies once. A failed push or acknowledgement is logged and tried again next round; it never
// stops the round. A request applied but not yet acknowledged is not applied again.
import type { DashboardBackend, EdgeRequestResult } from '../ports/dashboard.ts';
import { ConfigError } from '../core/config-error.ts';
import type { HealthConfig } from '../core/health-config.ts';
import { createWorkerViewClient, type WorkerViewClient } from '../adapters/dashboard/worker-view-client.ts';
import { toPushedView } from '../core/dashboard/pushed-view.ts';

export interface WorkerPushOptions {
  client: WorkerViewClient;
  backend: Pick<DashboardBackend, 'view' | 'act'>;
  /** health.every: the Worker marks the view stale after three of these. */
  everySeconds: number;
  log: (line: string) => void;
  now?: () => Date;
}

export interface WorkerPush {
  /** One push, its requests applied and acknowledged. */
  afterRound(signal?: AbortSignal): Promise<void>;
}

export function createWorkerPush({ client, backend, everySeconds, log, now = () => new Date() }: WorkerPushOptions): WorkerPush {
  /** Applied here, not yet acknowledged by the Worker. */
  const unacked = new Map<string, EdgeRequestResult>();
  return {
    async afterRound(signal) {
      const view = toPushedView(await backend.view(), now().toISOString(), everySeconds);
      const pushed = await client.push(view, signal);
      if (pushed.problem !== undefined) {
        log(`Worker push: ${pushed.problem} (tried again next round)`);
        return;
      }
      let applied = 0;
      for (const request of pushed.requests) {
        if (unacked.has(request.id)) continue;
        applied++;
        const who = `${request.who} (on the Worker)`;
        const result = await backend.act({ kind: request.kind, mirror: request.mirror }, who);
        log(`Worker request from ${request.who}: ${request.kind} ${request.mirror}: ${result.message}`);
        unacked.set(request.id, { id: request.id, ...result });
      }
      if (unacked.size === 0) return;
      const problem = await client.ack([...unacked.values()], signal);
      if (problem !== undefined) {
        log(`Worker acknowledgement: ${problem} (tried again next round)`);
        return;
      }
      unacked.clear();
      if (applied === 0) return;
      // What the requests changed (the canonical), on the Worker now rather than after the next round.
      const again = await client.push(toPushedView(await backend.view(), now().toISOString(), everySeconds), signal);
      if (again.problem !== undefined) log(`Worker push: ${again.problem} (tried again next round)`);
    },
  };
}

/** The Worker's view client as health.worker names it, or undefined when it is not set. */
export function workerViewClientFor(health: HealthConfig, env: Readonly<Record<string, string | undefined>>): WorkerViewClient | undefined {
  if (health.worker === undefined) return undefined;
  const token = env[health.worker.tokenEnv];
  if (token === undefined || token === '') {
    throw new ConfigError(
      `health.worker: environment variable ${health.worker.tokenEnv} is not set; export the value of the Worker's FERRY_HEALTH_TOKEN secret under that name`,
    );
  }
  return createWorkerViewClient({ url: health.worker.url, token });
}
