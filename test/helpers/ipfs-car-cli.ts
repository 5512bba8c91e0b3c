// Runs the ipfs-car CLI (the independent tool the IPFS tests check Ferry against), each run with a
// deadline and ended with its test (test/helpers/child-process.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runChildOk } from './child-process.ts';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('ipfs-car/package.json')), 'bin.js');

export async function ipfsCar(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await runChildOk(process.execPath, [bin, ...args], { timeoutMs });
  return stdout.trim();
}

/** `ipfs-car pack DIR --no-wrap --output CAR`: prints the root CID. */
export async function ipfsCarPack(dir: string, carFile: string, extra: string[] = []): Promise<string> {
  return ipfsCar(['pack', dir, '--no-wrap', '--output', carFile, ...extra]);
}
