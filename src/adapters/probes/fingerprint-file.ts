// Loads OONI's full blocking-fingerprints files (fingerprints_http.csv, fingerprints_dns.csv from
// github.com/ooni/blocking-fingerprints, downloaded by a maintainer) into the prober's list.
import { readFile } from 'node:fs/promises';
import { FingerprintError, parseFingerprints, type Fingerprint } from '../../core/health/block-fingerprints.ts';

export interface FingerprintFileDeps {
  read?: (path: string) => Promise<string>;
}

/** Every fingerprint in the given CSV files, in order; a bad file is a FingerprintError naming it. */
export async function loadFingerprintFiles(
  paths: readonly string[],
  { read = (p) => readFile(p, 'utf8') }: FingerprintFileDeps = {},
): Promise<Fingerprint[]> {
  const out: Fingerprint[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await read(path);
    } catch (e) {
      throw new FingerprintError(
        `${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); download fingerprints_http.csv and fingerprints_dns.csv from github.com/ooni/blocking-fingerprints`,
      );
    }
    out.push(...parseFingerprints(text, path));
  }
  return out;
}
