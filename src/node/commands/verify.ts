import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { readPublicKey } from '../keys.ts';
import { folderReader, urlReader, verifySnapshot } from '../verify-snapshot.ts';

export const command: Command = {
  name: 'verify',
  summary: 'check a snapshot folder or a mirror URL against its signed manifest',
  usage: `ferry verify <folder-or-URL> --pubkey FILE [--json]

  Exits 0 only when the signature verifies, the manifest has not expired and every file matches;
  otherwise names each bad file and exits 1.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { pubkey: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError('give exactly one folder or URL to verify');
    if (values.pubkey === undefined) throw new UsageError("--pubkey FILE is required (the publisher's ferry.pub)");
    const target = positionals[0];
    const publicKey = await readPublicKey(resolve(io.cwd, values.pubkey));
    let reader;
    if (/^https?:\/\//i.test(target)) reader = urlReader(target);
    else {
      const dir = resolve(io.cwd, target);
      const info = await stat(dir).catch(() => undefined);
      if (info === undefined || !info.isDirectory()) throw new UsageError(`${target} is neither a folder nor an http(s) URL`);
      reader = folderReader(dir);
    }
    const report = await verifySnapshot(reader, { publicKey, now: new Date() });
    if (values.json === true) io.out(JSON.stringify(report, null, 2));
    else if (report.ok)
      io.out(
        `OK: ${report.location}: version ${report.version}, ${report.checked} files match the signed manifest (valid until ${report.expires})`,
      );
    else {
      io.out(`FAILED: ${report.location}: ${report.problems.length} problem(s)`);
      for (const p of report.problems) io.out(`  ${p.path}: ${p.problem}`);
    }
    return report.ok ? 0 : 1;
  },
};
