// The build worker's script. Loading the TypeScript sources through tsx costs each thread about
// 40 MB, so the worker runs from a plain JavaScript bundle of its sources, made once with esbuild
// and cached in node_modules/.cache/ferry under a name derived from the sources' sizes and times
// (an edited source gives a new bundle). If bundling fails, the tsx entry is used instead.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';

const SRC = fileURLToPath(new URL('..', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/ferry/', import.meta.url));
const FALLBACK = new URL('./build-worker-entry.js', import.meta.url);

let cached: Promise<URL> | undefined;

/** The URL of the worker script (memoized per process). */
export function buildWorkerScript(): Promise<URL> {
  cached ??= bundle().catch(() => FALLBACK);
  return cached;
}

async function bundle(): Promise<URL> {
  const fingerprint = createHash('sha256');
  for (const file of await sources(SRC)) {
    const info = await stat(file);
    fingerprint.update(`${relative(SRC, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  const name = `build-worker-${fingerprint.digest('hex').slice(0, 16)}.mjs`;
  const out = join(CACHE, name);
  if (
    !(await stat(out).then(
      () => true,
      () => false,
    ))
  ) {
    const { build } = await import('esbuild');
    await mkdir(CACHE, { recursive: true });
    const tmp = join(CACHE, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await build({
      entryPoints: [join(SRC, 'node', 'build-worker-main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      logLevel: 'silent',
    });
    await rename(tmp, out);
    for (const old of await readdir(CACHE)) {
      if (old !== name && /^\.?build-worker-/.test(old)) await rm(join(CACHE, old), { force: true });
    }
  }
  return pathToFileURL(out);
}

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
