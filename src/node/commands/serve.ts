import { join, resolve } from 'node:path';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { loadConfig, loadPublicMirrors } from '../load-config.ts';
import { ensureKeyPair, readPrivateKey } from '../keys.ts';
import { runBuild } from '../build-pipeline.ts';
import { readCurrentManifest } from '../../adapters/node/snapshot-dir.ts';
import { startEdgeServer } from '../edge-server.ts';
import { readFile } from 'node:fs/promises';

export const command: Command = {
  name: 'serve',
  summary: 'build the configured blog and serve it through the edge (what `npm start` runs)',
  usage: `ferry serve [--port N] [--host H] [--config FILE] [--no-build]

  Builds ferry.config.json's source (the bundled example blog on a fresh clone) into its snapshot
  folder, creating a signing key in the data folder if there is none, then serves it through the
  verifying edge on http://127.0.0.1:8787 (or --host/--port). If the build fails, the last good
  snapshot is served and the error is printed.`,
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

    if (values['no-build'] !== true) {
      try {
        const report = await runBuild({
          source: config.source,
          out: config.out,
          dataDir: config.data,
          privateKey: await readPrivateKey(keys.keyFile),
          mirrors: await loadPublicMirrors(config.mirrors),
          ...(config.canonical === undefined ? {} : { canonical: config.canonical }),
          blockedHosts: config.blockedHosts,
          mediaHosts: config.mediaHosts,
          expiresDays: config.expiresDays,
          onProgress: (stage, message) => io.err(`[${stage}] ${message}`),
        });
        io.out(`Built version ${report.version}: ${report.posts} posts from ${config.source}`);
        for (const q of report.quarantined) io.out(`  held back for approval: ${q.id} "${q.title}": ${q.reasons.join('; ')}`);
      } catch (e) {
        io.err(`Build failed, the last good snapshot stays served: ${(e as Error).message}`);
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
    });
    io.out(`Ferry is serving the blog on ${server.url}/`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        io.out('Stopping.');
        void server.close().then(done, done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
