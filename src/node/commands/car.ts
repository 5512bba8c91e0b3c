// `ferry car DIR --out FILE`: the folder as a UnixFS directory (unixfs-v1-2025 settings, no
// wrapping directory) in a CARv1 whose root is the directory's CID. Prints the CID.
import { open, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { importSnapshot, type ShardingRule } from '../../adapters/ipfs/unixfs-import.ts';
import { createMemoryBlockstore } from '../../adapters/ipfs/memory-blockstore.ts';
import { toCar, walkDag } from '../../adapters/ipfs/car.ts';
import { openSnapshotFolder } from './snapshot-folder.ts';

export const command: Command = {
  name: 'car',
  summary: 'pack a folder as a UnixFS CAR (unixfs-v1-2025, same root CID as `ipfs-car pack --no-wrap`)',
  usage: 'ferry car DIR --out FILE [--json] [--hidden] [--sharding ipfs-car|kubo]',
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { out: { type: 'string' }, json: { type: 'boolean' }, hidden: { type: 'boolean' }, sharding: { type: 'string' } },
      true,
    );
    if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError('give exactly one folder');
    if (values.out === undefined) throw new UsageError('--out FILE is required');
    const sharding = values.sharding ?? 'ipfs-car';
    if (sharding !== 'ipfs-car' && sharding !== 'kubo') throw new UsageError(`--sharding must be ipfs-car or kubo, not ${sharding}`);
    // The link `ferry build --out` made is followed here, once; links inside the folder are still refused.
    const { real: dir } = await openSnapshotFolder(io.cwd, positionals[0]);
    const out = resolve(io.cwd, values.out);

    const store = createMemoryBlockstore();
    const summary = await importSnapshot(dir, store, { hidden: values.hidden === true, sharding: sharding satisfies ShardingRule });
    const tmp = `${out}.tmp-${randomBytes(6).toString('hex')}`;
    let bytes = 0;
    let blocks = 0;
    const handle = await open(tmp, 'wx');
    try {
      const counted = async function* () {
        for await (const block of walkDag(summary.root, store)) {
          blocks += 1;
          yield block;
        }
      };
      for await (const chunk of toCar([summary.root], counted())) {
        await handle.write(chunk);
        bytes += chunk.byteLength;
      }
      await handle.sync();
      await handle.close();
      await rename(tmp, out);
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    const cid = summary.root.toString();
    io.out(values.json === true ? JSON.stringify({ cid, blocks, bytes }) : cid);
    return 0;
  },
};
