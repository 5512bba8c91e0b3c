// `ferry edge`: run only the edge over the mirrors in a file, verifying against a pinned key.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism, homedir } from 'node:os';
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { keyFingerprint } from '../../core/manifest.ts';
import { parseMirrorsConfig } from '../../core/mirrors-config.ts';
import { parseFlags, UsageError, type CliIo, type Command } from '../cli-io.ts';
import { readPublicKey } from '../keys.ts';
import { NODE_MIRROR_KINDS, startEdgeServer } from '../edge-server.ts';

/** How long a request in flight when the edge is told to stop may take to finish. */
const DRAIN_MS = 3000;
/** A worker still running this long after the stop signal is killed (the whole stop is within 5 s). */
const STOP_DEADLINE_MS = 4500;

export const command: Command = {
  name: 'edge',
  summary: 'serve the snapshot from mirrors, verifying every byte against the signed manifest',
  usage: `ferry edge --mirrors FILE --pubkey FILE [--port N] [--host H] [--data DIR] [--workers N|auto]

  --mirrors FILE  the mirrors to read from: {"mirrors":[{"id":"a","kind":"http","url":"https://..."}]}
                  (kinds http, ipfs-gateway, directory; see README "Mirror list")
  --pubkey FILE   the publisher's public key (ferry.pub): only manifests it signed are accepted
  --port N        default 8787 (0: any free port)
  --host H        default 127.0.0.1
  --data DIR      where the edge keeps the highest manifest version it accepted (so a mirror
                  serving an older one is refused after a restart too) and the last verified
                  copies (served, marked stale, when no mirror delivers), and the mirrors
                  excluded (exclusions.json: paused by a maintainer or found compromised by
                  ferry serve's health checker; point --data at <ferry serve's data>/edge to
                  follow them, reread every 10 s). Default:
                  $XDG_STATE_HOME/ferry/edge/<key fingerprint>, that is
                  ~/.local/state/ferry/edge/<key fingerprint> when XDG_STATE_HOME is not set.
  --workers N     serve from N processes sharing the port (node:cluster; "auto" = one per core).
                  Each keeps its own cache and view of the mirrors; a worker that dies is restarted.

  SIGTERM or SIGINT (to the main process or its whole process group) stops the edge: requests in
  flight get ${DRAIN_MS / 1000} s to finish, and every process is gone within 5 s.`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      mirrors: { type: 'string' },
      pubkey: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      workers: { type: 'string' },
    });
    const workers = values.workers === undefined ? 1 : values.workers === 'auto' ? availableParallelism() : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256)
      throw new UsageError(`--workers must be a number from 1 to 256 or "auto", not '${values.workers}'`);
    if (values.mirrors === undefined)
      throw new UsageError('--mirrors FILE is required (e.g. {"mirrors":[{"id":"a","kind":"http","url":"https://..."}]})');
    if (values.pubkey === undefined) throw new UsageError('--pubkey FILE is required (the public key the manifest is signed for)');
    const port = values.port === undefined ? 8787 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, not '${values.port}'`);
    const mirrorsFile = resolve(io.cwd, values.mirrors);
    const mirrors = parseMirrorsConfig(await readText(mirrorsFile, '--mirrors'), basename(mirrorsFile), NODE_MIRROR_KINDS);
    const publicKey = await readPublicKey(resolve(io.cwd, values.pubkey));
    const dataDir = values.data === undefined ? defaultEdgeDataDir(io.env, publicKey) : resolve(io.cwd, values.data);
    const stopped = stopSignal();
    try {
      if (cluster.isPrimary) {
        await checkWritable(dataDir, values.data === undefined);
        io.err(`edge state (highest accepted manifest, verified copies): ${dataDir}`);
        if (workers > 1) return await runPrimary(workers, io, stopped.promise);
      }
      const server = await startEdgeServer({
        mirrors,
        publicKey,
        port,
        host: values.host ?? '127.0.0.1',
        baseDir: dirname(mirrorsFile),
        dataDir,
        onEvent: (e) => {
          if (e.type === 'mirror-state' && e.state !== 'healthy') io.err(`mirror '${e.mirror}' ${e.state}: ${e.error ?? ''}`);
          if (e.type === 'manifest-accepted') io.err(`manifest version ${e.version} accepted (from ${e.source})`);
          if (e.type === 'manifest-rejected') io.err(`mirror '${e.mirror}': manifest refused: ${e.error}`);
        },
      });
      if (cluster.isWorker) process.send?.({ type: 'listening', url: server.url });
      else io.out(`Ferry edge listening on ${server.url}`);
      await stopped.promise;
      await server.close({ drainMs: DRAIN_MS });
      // A cluster worker's channel to the primary keeps it alive: close it once it served its last request.
      if (cluster.isWorker && process.connected) cluster.worker?.disconnect();
      return 0;
    } finally {
      stopped.dispose();
    }
  },
};

/**
 * Settles on the first SIGINT or SIGTERM. The handlers stay installed until disposed, so a second
 * signal (the group's and then the primary's, or a repeated Ctrl-C) does not cut the drain short.
 */
function stopSignal(): { promise: Promise<void>; dispose: () => void } {
  let settle: () => void = () => undefined;
  const promise = new Promise<void>((r) => (settle = r));
  const onSignal = (): void => settle();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The cluster primary: fork the workers (each runs this same command), print the address once. */
async function runPrimary(workers: number, io: CliIo, stopped: Promise<void>): Promise<number> {
  cluster.setupPrimary({ execArgv: process.execArgv });
  let stopping = false;
  let announced = false;
  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (m: { type?: string; url?: string }) => {
      if (m.type === 'listening' && !announced) {
        announced = true;
        io.out(`Ferry edge listening on ${m.url} (${workers} workers)`);
      }
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    io.err(`edge worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  for (let i = 0; i < workers; i++) fork();
  await stopped;
  stopping = true;
  const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const exited = running.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
  // Each worker drains its requests and exits; a signal sent to the whole group reached them already.
  for (const w of running) w.process.kill('SIGTERM');
  const late = setTimeout(() => {
    for (const w of running) {
      if (!w.isDead()) {
        io.err(`edge worker ${w.process.pid} did not stop in time; killing it`);
        w.process.kill('SIGKILL');
      }
    }
  }, STOP_DEADLINE_MS);
  await Promise.all(exited);
  clearTimeout(late);
  return 0;
}

/**
 * Where the edge keeps its state when --data is not given: per publisher key, in the user's state
 * folder (XDG Base Directory), so the rollback floor survives restarts from any working folder.
 */
export function defaultEdgeDataDir(env: Readonly<Record<string, string | undefined>>, publicKey: Uint8Array): string {
  const xdg = env.XDG_STATE_HOME;
  const stateHome = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME ?? homedir(), '.local', 'state');
  return join(stateHome, 'ferry', 'edge', keyFingerprint(publicKey));
}

async function checkWritable(dir: string, isDefault: boolean): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(
      `cannot write the edge's state folder ${dir} (${(e as Error).message}); ${isDefault ? 'pass --data DIR' : 'choose another --data DIR'}`,
    );
  }
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file} (${(e as Error).message})`);
  }
}
