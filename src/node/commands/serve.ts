import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { loadConfig, loadPublicMirrors } from '../load-config.ts';
import { ensureKeyPair, readPublicKey } from '../keys.ts';
import { readCurrentManifest } from '../../adapters/node/snapshot-dir.ts';
import { nodeClientAddress, startEdgeServer, type EdgeServer } from '../edge-server.ts';
import { createRepublisher, scheduleRepublish } from '../republisher.ts';
import { LockedError } from '../../adapters/node/process-lock.ts';
import { loadCheckTargets } from '../health-targets.ts';
import {
  healthChoice,
  healthStoreFile,
  openHealthStore,
  remoteVantagesFor,
  startHealthService,
  type HealthService,
} from '../health-service.ts';
import { createNodeDashboardBackend } from '../dashboard-backend.ts';
import { createWorkerPush, workerViewClientFor } from '../worker-push.ts';
import { createFileMaintainerStore } from '../../adapters/node/file-maintainer-store.ts';
import { createJsonStateStore } from '../../adapters/node/json-state-store.ts';
import { createMemoryHealthStore } from '../../adapters/health/memory-health-store.ts';
import { createDashboard, createPublicStatus } from '../../edge/dashboard/app.ts';
import type { CheckTarget } from '../../health/check-round.ts';
import { Hono } from 'hono';
import { openAlertService } from '../alerters.ts';
import type { GuardReport } from '../../core/health/origin-evidence.ts';
import type { SiteState } from '../../ports/state.ts';
import { createAgentReports } from '../../health/agent-reports.ts';
import { createSqliteAgentRegistry } from '../../adapters/health/sqlite-agent-registry.ts';

/** What the last ingest's guard saw at the origin, from the state it left: compromise evidence for the origin's probe. */
export function guardReportOf(sites: readonly SiteState[], rejected: Readonly<Record<string, string>> = {}): GuardReport | undefined {
  let heldBack = 0;
  let activeContentRemoved = 0;
  let feedIdChanged: GuardReport['feedIdChanged'];
  for (const site of sites) {
    // A change a maintainer rejected is reviewed: the published version stays, nothing is pending.
    const pending = site.pending.filter((q) => rejected[q.id] !== q.hash);
    heldBack += pending.length;
    activeContentRemoved += pending.filter((q) => q.reasons.some((r) => r.startsWith('active content removed'))).length;
    if (site.pendingOriginId !== undefined && site.originId !== undefined)
      feedIdChanged = { from: site.originId, to: site.pendingOriginId };
  }
  if (heldBack === 0 && feedIdChanged === undefined) return undefined;
  return {
    heldBack,
    ...(activeContentRemoved > 0 ? { activeContentRemoved } : {}),
    ...(feedIdChanged === undefined ? {} : { feedIdChanged }),
  };
}

export const command: Command = {
  name: 'serve',
  summary: 'serve the blog through the edge and republish it on a schedule (what `npm start` runs)',
  usage: `ferry serve [--port N] [--host H] [--config FILE] [--no-build]

  Republishes ferry.config.json's source once at start (the bundled example blog on a fresh
  clone), creating a signing key in the data folder if there is none, then serves the snapshot
  through the verifying edge on http://127.0.0.1:8787 (or --host/--port, or FERRY_PORT), with the
  embedded IPFS gateway at /ipfs/, and republishes on schedule.republish. A failed build keeps the
  last good snapshot served.

  Unless health.enabled is false, it also checks every mirror of the mirror list (and the origin)
  every health.every seconds, keeps states and history in <data>/health.db, and when the
  canonical mirror goes bad, or a mirror serves tampered bytes, republishes with the next healthy
  mirror as the canonical and without the tampered one.

  /_ferry/status, /_ferry/status.json and /_ferry/metrics are public. The maintainers' dashboard at
  /_ferry/ needs FERRY_ADMIN_TOKEN (at least 32 characters) in the environment; without it the
  dashboard is off.`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      'no-build': { type: 'boolean' },
    });
    const port = Number(values.port ?? io.env.FERRY_PORT ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0-65535)');
    const host = values.host ?? '127.0.0.1';
    const config = await loadConfig(io.cwd, values.config);
    const keys = await ensureKeyPair(join(config.data, 'keys'));
    if (keys.created) io.out(`Created a signing key in ${keys.keyFile} (keep it secret; back it up).`);
    const publicMirrors = await loadPublicMirrors(config.mirrors);
    // Set once the edge is up (runs before that have nothing to tell it).
    const local: { edge?: EdgeServer } = {};
    // A missing Worker token is a config error at start, not a failure every round.
    const remote = config.health.enabled ? remoteVantagesFor(config.health, io.env) : undefined;
    const workerView = config.health.enabled ? workerViewClientFor(config.health, io.env) : undefined;
    const healthStore = config.health.enabled ? openHealthStore(config) : undefined;
    // Alerters are built first: an unset secret variable stops the start, naming it.
    const alerts =
      config.health.enabled && config.alerts.length > 0
        ? openAlertService({
            alerts: config.alerts,
            file: config.file ?? 'ferry.config.json',
            env: io.env,
            logFile: healthStoreFile(config.data),
            urls: Object.fromEntries(publicMirrors.map((m) => [m.id, m.url])),
          })
        : undefined;
    const republisher = await createRepublisher({
      config,
      env: io.env,
      keyFile: keys.keyFile,
      onProgress: (stage, message, target) => io.err(`[${target === undefined ? stage : `${stage} ${target}`}] ${message}`),
      ...(healthStore === undefined ? {} : { choice: healthChoice(healthStore, publicMirrors) }),
      // The local edge reads the new manifest at once instead of at its next refresh.
      onPublished: () => void local.edge?.edge.reader.refresh().catch(() => undefined),
    });

    if (values['no-build'] !== true) {
      try {
        const { run } = await republisher.run('start');
        io.out(
          `Republish ${run.outcome}${run.version === undefined ? '' : `: version ${run.version}, ${run.posts ?? 0} posts`}${run.error === undefined ? '' : ` (${run.error}; the last good snapshot stays served)`}`,
        );
      } catch (e) {
        if (!(e instanceof LockedError)) throw e;
        io.err(`${e.message}; serving the current snapshot meanwhile`);
      }
    }
    if ((await readCurrentManifest(config.out)) === undefined) {
      io.err(`No snapshot in ${config.out} to serve; fix the error above and run again.`);
      return 1;
    }

    const hasMirrorList = await access(config.mirrors).then(
      () => true,
      () => false,
    );
    const targets: CheckTarget[] = hasMirrorList ? await loadCheckTargets(config.mirrors, config.source) : [];
    const closers: Array<() => Promise<void>> = [];
    const stateStore = createJsonStateStore(config.data);
    const maintainer = createFileMaintainerStore(join(config.data, 'maintainer.json'));
    let health: HealthService | undefined;
    const backend = createNodeDashboardBackend({
      targets,
      mirrors: publicMirrors,
      health: healthStore ?? createMemoryHealthStore(),
      runs: republisher.runs,
      state: stateStore,
      maintainer,
      publish: async (trigger) => (await republisher.run(trigger)).run,
      check: async () => {
        await health?.job.runNow();
      },
      rotate: async () => {
        await health?.rotateNow();
      },
      // The edge's exclusions (kept in <data>/edge: every `ferry edge --data <data>/edge` follows them).
      exclusions: {
        exclude: (id, reason) => local.edge?.edge.exclusions.exclude(id, reason),
        include: (id) => local.edge?.edge.exclusions.include(id),
      },
      ...(alerts === undefined ? {} : { alerts: () => alerts.views(20) }),
    });
    let dashboard: Hono;
    const token = io.env.FERRY_ADMIN_TOKEN;
    if (token === undefined || token === '') {
      dashboard = createPublicStatus({ backend });
      io.out(
        'Dashboard off: set FERRY_ADMIN_TOKEN (at least 32 characters) to sign in at /_ferry/; the public status is at /_ferry/status',
      );
    } else {
      dashboard = createDashboard({ backend, token, clientOf: nodeClientAddress });
    }

    // Probe agents post their signed reports here (only enrolled keys; see docs/probe-agent.md).
    const ferryRoutes = new Hono();
    if (healthStore !== undefined) {
      const registry = createSqliteAgentRegistry(healthStoreFile(config.data));
      closers.push(() => registry.close());
      ferryRoutes.route(
        '/agent',
        createAgentReports({
          registry,
          store: healthStore,
          targets: () => new Set(targets.map((t) => t.id)),
          log: (e) =>
            io.out(
              e.type === 'agent-report-accepted'
                ? `agent report from ${e.agent} (${e.country}): ${e.results} results`
                : `agent report refused (${e.status} ${e.reason}): ${e.message}`,
            ),
        }),
      );
    }
    ferryRoutes.route('/', dashboard);

    const server = await startEdgeServer({
      mirrors: [{ id: 'local', kind: 'directory', path: resolve(config.out), priority: 1 }],
      publicKey: await readFile(keys.pubFile, 'utf8'),
      port,
      host,
      dataDir: join(config.data, 'edge'),
      dashboard: ferryRoutes,
      ...(republisher.ipfs === undefined ? {} : { ipfs: republisher.ipfs }),
    });
    local.edge = server;
    const job = scheduleRepublish(config.schedule.republish, republisher, (line) => io.out(line));
    if (healthStore !== undefined) {
      if (targets.length === 0) io.out(`Health checker: nothing to probe (${config.mirrors} lists no mirror with an address)`);
      else {
        const workerPush =
          workerView === undefined
            ? undefined
            : createWorkerPush({ client: workerView, backend, everySeconds: config.health.every, log: (line) => io.out(line) });
        health = startHealthService({
          config,
          targets,
          mirrors: publicMirrors,
          publicKey: await readPublicKey(keys.pubFile),
          store: healthStore,
          republisher: () => republisher,
          exclusions: server.edge.exclusions,
          paused: async () => new Set(Object.keys((await maintainer.load()).paused)),
          ...(remote === undefined ? {} : { remote }),
          originReport: async () => guardReportOf(await stateStore.list(), (await maintainer.load()).rejected),
          after: async (outcome, _rotation, signal) => {
            if (alerts !== undefined) {
              const sent = await alerts.dispatch(outcome, signal);
              for (const a of sent.attempts)
                io.out(`alert ${a.alerter}: ${a.ok ? 'sent' : `not sent (${a.error ?? 'failed'}; retried next round)`}: ${a.subject}`);
            }
            // The Worker's dashboard shows this round too; Make canonical there comes back here.
            await workerPush?.afterRound(signal);
          },
          log: (line) => io.out(line),
        });
        void health.job.runNow();
        io.out(`Health checker: ${targets.length} targets every ${config.health.every} s`);
      }
    }
    io.out(`Ferry is serving the blog on ${server.url}/ (republishing on "${config.schedule.republish}")`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        io.out('Stopping.');
        void (health?.stop() ?? Promise.resolve())
          .then(() => job.stop())
          .then(() => server.close())
          .then(() => Promise.all(closers.map((close) => close())))
          .then(() => alerts?.close())
          .then(() => healthStore?.close())
          .then(() => republisher.close())
          .then(done, done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
