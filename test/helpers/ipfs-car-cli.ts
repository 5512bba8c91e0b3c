// Runs the ipfs-car CLI (the independent tool the IPFS tests check Ferry against).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('ipfs-car/package.json')), 'bin.js');

export async function ipfsCar(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** `ipfs-car pack DIR --no-wrap --output CAR`: prints the root CID. */
export async function ipfsCarPack(dir: string, carFile: string, extra: string[] = []): Promise<string> {
  return ipfsCar(['pack', dir, '--no-wrap', '--output', carFile, ...extra]);
}
