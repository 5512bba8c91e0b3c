// Read a folder into a map (path -> bytes) to compare snapshots byte for byte.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath, e.name);
    out.set(`/${relative(dir, file).split(sep).join('/')}`, await readFile(file));
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
