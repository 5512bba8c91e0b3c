// The build worker's cached bundle (src/node/worker-script.ts), on a small source tree of the
// test's own: a source edit gives a new bundle, a declaration file does not, and a bundle another
// process made a moment ago is not removed under it.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources, type BundleFolders } from '../../src/node/worker-script.ts';

let dir: string;
let folders: BundleFolders;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-worker-script-'));
  folders = { src: join(dir, 'src'), cache: join(dir, 'cache'), entry: 'main.ts' };
  await mkdir(folders.src, { recursive: true });
  await writeFile(join(folders.src, 'main.ts'), "import { answer } from './answer.ts';\nexport const value: number = answer;\n");
  await writeFile(join(folders.src, 'answer.ts'), 'export const answer = 42;\n');
  await writeFile(join(folders.src, 'types.d.ts'), 'declare const generated: number;\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bundles = async (): Promise<string[]> => (await readdir(folders.cache)).filter((n) => n.endsWith('.mjs')).sort();

it('bundles the entry into one runnable module, reused while the sources are unchanged', async () => {
  const url = await bundleSources(folders);
  expect(((await import(url.href)) as { value: number }).value).toBe(42);
  expect((await bundleSources(folders)).href).toBe(url.href);
  expect(await bundles()).toEqual([fileURLToPath(url).split('/').pop()]);
});

it('a regenerated declaration file keeps the name (typecheck rewrites one while builds run)', async () => {
  const before = await bundleSources(folders);
  await writeFile(join(folders.src, 'types.d.ts'), 'declare const generated: number; // regenerated\n');
  expect((await bundleSources(folders)).href).toBe(before.href);
});

it('an edited source gives a new bundle; the one another process made a moment ago stays, an hour-old one goes', async () => {
  const first = await bundleSources(folders);
  await writeFile(join(folders.src, 'answer.ts'), 'export const answer = 43;\n');
  const second = await bundleSources(folders);
  expect(second.href).not.toBe(first.href);
  expect(((await import(second.href)) as { value: number }).value).toBe(43);
  // The first bundle is seconds old: a process that named it may be starting a thread from it.
  expect(await bundles()).toHaveLength(2);

  const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
  await utimes(fileURLToPath(first), hourAgo, hourAgo);
  await writeFile(join(folders.src, 'answer.ts'), 'export const answer = 44;\n');
  const third = await bundleSources(folders);
  const names = await bundles();
  expect(names).toHaveLength(2);
  expect(names).not.toContain(fileURLToPath(first).split('/').pop());
  expect(names).toContain(fileURLToPath(third).split('/').pop());
});
