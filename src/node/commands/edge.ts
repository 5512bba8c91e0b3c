// `ferry edge`: run only the edge over the mirrors in a file, verifying against a pinned key.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { decodeKey } from '../../core/manifest.ts';
import { parseMirrorsConfig } from '../../core/mirrors-config.ts';
import { parseFlags, UsageError, type CliIo, type Command } from '../cli-io.ts';
import { NODE_MIRROR_KINDS, startEdgeServer } from '../edge-server.ts';

export const command: Command = {
  name: 'edge',
  summary: 'serve the snapshot from mirrors, verifying every byte against the signed manifest',
  usage: `ferry edge --mirrors FILE --pubkey FILE [--port N] [--host H] [--data DIR] [--workers N|auto]

  --workers N   serve from N processes sharing the port (node:cluster; "auto" = one per core).
                Each keeps its own cache and view of the mirrors; a worker that dies is restarted.`,
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
    const keyFile = resolve(io.cwd, values.pubkey);
    const publicKey = decodeKey(await readText(keyFile, '--pubkey'), 'public');
    if (workers > 1 && cluster.isPrimary) return runPrimary(workers, io);
    const server = await startEdgeServer({
      mirrors,
      publicKey,
      port,
      host: values.host ?? '127.0.0.1',
      baseDir: dirname(mirrorsFile),
      ...(values.data ? { dataDir: resolve(io.cwd, values.data) } : {}),
      onEvent: (e) => {
        if (e.type === 'mirror-state' && e.state !== 'healthy') io.err(`mirror '${e.mirror}' ${e.state}: ${e.error ?? ''}`);
        if (e.type === 'manifest-accepted') io.err(`manifest version ${e.version} accepted (from ${e.source})`);
      },
    });
    if (cluster.isWorker) process.send?.({ type: 'listening', url: server.url });
    else io.out(`Ferry edge listening on ${server.url}`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        server.close().then(done, done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

/** The cluster primary: fork the workers (each runs this same command), print the address once. */
async function runPrimary(workers: number, io: CliIo): Promise<number> {
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
  await new Promise<void>((done) => {
    const stop = (): void => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file} (${(e as Error).message})`);
  }
}
