// The snapshot folder a command is given: a folder, or the link `ferry build --out` swaps (to one
// of its versioned folders). Resolved once, so a build swapping in a newer version meanwhile does
// not mix two versions into one command's work.
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../cli-io.ts';

export interface SnapshotFolder {
  /** The folder as the user named it (absolute). */
  given: string;
  /** The folder it is now (the version the link points at), absolute. */
  real: string;
  /** For messages: `given`, plus the version folder when it is a link. */
  shown: string;
}

export async function openSnapshotFolder(cwd: string, arg: string): Promise<SnapshotFolder> {
  const given = resolve(cwd, arg);
  let real: string;
  try {
    real = await realpath(given);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${arg}: no such folder (or a link to a folder that is gone)` : `${arg}: ${(e as Error).message}`,
    );
  }
  const info = await stat(real);
  if (!info.isDirectory()) throw new UsageError(`${arg} is not a folder (nor a link to one)`);
  return { given, real, shown: real === given ? given : `${given} (-> ${real})` };
}
