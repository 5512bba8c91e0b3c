import { resolve } from 'node:path';
import { keyFingerprint } from '../../core/manifest.ts';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { readPublicKey } from '../keys.ts';
import { folderReader, urlReader, verifySnapshot, type SnapshotReader } from '../verify-snapshot.ts';
import { readVerifyState, writeVerifyState } from '../verify-state.ts';
import { openSnapshotFolder } from './snapshot-folder.ts';

export const command: Command = {
  name: 'verify',
  summary: 'check a snapshot folder or a mirror URL against its signed manifest',
  usage: `ferry verify <folder-or-URL> --pubkey FILE [--state FILE] [--json]

  Exits 0 only when the signature verifies, the manifest has not expired and every file matches;
  otherwise names each bad file and exits 1. The folder may be the link \`ferry build --out\` made.

  --state FILE  remember the highest manifest version accepted (for this key) in FILE, and refuse
                an older one later (a rollback), as the edge does. Created on first use; the
                version is raised whenever a newer signed, unexpired manifest is accepted.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { pubkey: { type: 'string' }, json: { type: 'boolean' }, state: { type: 'string' } },
      true,
    );
    if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError('give exactly one folder or URL to verify');
    if (values.pubkey === undefined) throw new UsageError("--pubkey FILE is required (the publisher's ferry.pub)");
    const target = positionals[0];
    const publicKey = await readPublicKey(resolve(io.cwd, values.pubkey));
    let reader: SnapshotReader;
    if (/^https?:\/\//i.test(target)) reader = urlReader(target);
    else {
      const folder = await openSnapshotFolder(io.cwd, target).catch(() => {
        throw new UsageError(`${target} is neither a folder (or a link to one) nor an http(s) URL`);
      });
      reader = folderReader(folder.real, { describe: folder.shown });
    }
    const stateFile = values.state === undefined ? undefined : resolve(io.cwd, values.state);
    const state = stateFile === undefined ? undefined : await readVerifyState(stateFile, publicKey);
    const now = new Date();
    const report = await verifySnapshot(reader, { publicKey, now, ...(state === undefined ? {} : { minVersion: state.version }) });
    // The manifest was accepted (signature, expiry, version): it is the new floor, whatever its files.
    if (stateFile !== undefined && report.version !== undefined && report.version > (state?.version ?? 0)) {
      await writeVerifyState(stateFile, {
        key: keyFingerprint(publicKey),
        version: report.version,
        location: report.location,
        seen: now.toISOString(),
      });
    }
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
