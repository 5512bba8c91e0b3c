// Media copies kept in the data folder: content-addressed files plus an index from origin URL
// to the copy, so a rebuild does not fetch an image again.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import { isRecord } from '../../core/is-record.ts';
import { mediaPath } from '../../core/media.ts';

export interface MediaStore {
  /** Snapshot path of the copy of url, if one was stored. */
  lookup(url: string): string | undefined;
  /** Store bytes fetched from url; returns the snapshot path (/media/<hash>.<ext>). */
  put(url: string, bytes: Uint8Array, ext: string): Promise<string>;
  /** Bytes for a snapshot path returned by put. */
  read(path: string): Promise<Uint8Array>;
  /** Persist the URL index (atomically). */
  flush(): Promise<void>;
}

export async function openMediaStore(dir: string): Promise<MediaStore> {
  const indexFile = join(dir, 'index.json');
  const index = new Map<string, string>();
  try {
    const raw: unknown = JSON.parse(await readFile(indexFile, 'utf8'));
    if (isRecord(raw)) {
      for (const [url, path] of Object.entries(raw)) {
        if (typeof path === 'string' && /^\/media\/[0-9a-f]{32}\.[a-z]+$/.test(path)) index.set(url, path);
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
  }
  let dirty = false;
  const fileOf = (path: string): string => join(dir, path.slice('/media/'.length));
  return {
    lookup: (url) => index.get(url),
    async put(url, bytes, ext) {
      const path = mediaPath(bytes, ext);
      const file = fileOf(path);
      const exists = await stat(file).then(
        (s) => s.size === bytes.length,
        () => false,
      );
      if (!exists) await writeFileAtomic(file, bytes);
      index.set(url, path);
      dirty = true;
      return path;
    },
    read: (path) => readFile(fileOf(path)),
    async flush() {
      if (!dirty) return;
      const sorted = Object.fromEntries([...index.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
      await writeFileAtomic(indexFile, `${JSON.stringify(sorted, null, 1)}\n`);
      dirty = false;
    },
  };
}
