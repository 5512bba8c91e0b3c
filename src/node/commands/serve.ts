import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { loadConfig } from '../load-config.ts';
import { ensureKeyPair } from '../keys.ts';
import { readCurrentManifest } from '../../adapters/node/snapshot-dir.ts';
import { startEdgeServer } from '../edge-server.ts';
import { createRepublisher, scheduleRepublish } from '../republisher.ts';
import { LockedError } from '../../adapters/node/process-lock.ts';

export const command: Command = {
  name: 'serve',
  summary: 'serve the blog through the edge and republish it on a schedule (what `npm start` runs)',
  usage: `ferry serve [--port N] [--host H] [--config FILE] [--no-build]

  Republishes ferry.config.json's source once at start (the bundled example blog on a fresh
  clone), creating a signing key in the data folder if there is none, then serves the snapshot
  through the verifying edge on http://127.0.0.1:8787 (or --host/--port, or FERRY_PORT), with the
  embedded IPFS gateway at /ipfs/, and republishes on schedule.republish. A failed build keeps the
  last good snapshot served.`,
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
    const republisher = await createRepublisher({
      config,
      env: io.env,
      keyFile: keys.keyFile,
      onProgress: (stage, message, target) => io.err(`[${target === undefined ? stage : `${stage} ${target}`}] ${message}`),
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
    const server = await startEdgeServer({
      mirrors: [{ id: 'local', kind: 'directory', path: resolve(config.out), priority: 1 }],
      publicKey: await readFile(keys.pubFile, 'utf8'),
      port,
      host,
      dataDir: join(config.data, 'edge'),
      ...(republisher.ipfs === undefined ? {} : { ipfs: republisher.ipfs }),
    });
    const job = scheduleRepublish(config.schedule.republish, republisher, (line) => io.out(line));
    io.out(`Ferry is serving the blog on ${server.url}/ (republishing on "${config.schedule.republish}")`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        io.out('Stopping.');
        void job
          .stop()
          .then(() => server.close())
          .then(() => republisher.close())
          .then(done, done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
