// The build worker's script. Loading the TypeScript sources through tsx costs each thread about
// 40 MB, so the worker runs from a plain JavaScript bundle of its sources, made once with esbuild
// and cached in node_modules/.cache/ferry under a name derived from the sources' sizes and times
// (an edited source gives a new bundle). If bundling fails, the tsx entry is used instead.
// Declaration files (.d.ts) are not part of the bundle and not of its name: `npm run typecheck`
// regenerates src/worker/worker-runtime.d.ts, which once renamed the bundle under builds running
// at that moment. A bundle another process made is removed only once it is an hour old: that
// process may be about to start a thread from it.
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
  cached ??= bundleSources({ src: SRC, cache: CACHE, entry: join('node', 'build-worker-main.ts') }).catch(() => FALLBACK);
  return cached;
}

/** Where bundleSources reads and writes (the defaults above; a test's own folders). */
export interface BundleFolders {
  src: string;
  cache: string;
  /** The entry point, relative to src. */
  entry: string;
}

/** Bundles `entry` into `cache`, named by the sources under `src` (reused while they are unchanged). */
export async function bundleSources({ src, cache, entry }: BundleFolders): Promise<URL> {
  const fingerprint = createHash('sha256');
  for (const file of await sources(src)) {
    const info = await stat(file);
    fingerprint.update(`${relative(src, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  const name = `build-worker-${fingerprint.digest('hex').slice(0, 16)}.mjs`;
  const out = join(cache, name);
  if (
    !(await stat(out).then(
      () => true,
      () => false,
    ))
  ) {
    const { build } = await import('esbuild');
    await mkdir(cache, { recursive: true });
    const tmp = join(cache, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await build({
      entryPoints: [join(src, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      logLevel: 'silent',
    });
    await rename(tmp, out);
    await removeStale(cache, name);
  }
  return pathToFileURL(out);
}

const STALE_MS = 60 * 60 * 1000;

async function removeStale(cache: string, keep: string): Promise<void> {
  for (const old of await readdir(cache)) {
    if (old === keep || !/^\.?build-worker-/.test(old)) continue;
    const path = join(cache, old);
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > STALE_MS) await rm(path, { force: true });
  }
}

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
