import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { resolve } from 'node:path';
import { writeKeyPair } from '../keys.ts';
import { keyFingerprint } from '../../core/manifest.ts';

export const command: Command = {
  name: 'keygen',
  summary: 'create a signing key pair: DIR/ferry.key (private, 0600) and DIR/ferry.pub',
  usage: 'ferry keygen --out DIR [--force]',
  async run(args, io) {
    const { values } = parseFlags(args, { out: { type: 'string' }, force: { type: 'boolean' } });
    if (values.out === undefined) throw new UsageError('--out DIR is required');
    const dir = resolve(io.cwd, values.out);
    const { keyFile, pubFile, publicKey } = await writeKeyPair(dir, { overwrite: values.force === true });
    io.out(`private key: ${keyFile} (keep it secret; never commit it)`);
    io.out(`public key:  ${pubFile} (fingerprint ${keyFingerprint(publicKey)}; pin it in the edge)`);
    return 0;
  },
};
