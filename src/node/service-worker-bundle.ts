// Bundles the reader's service worker (src/sw/sw.ts, with @noble/ed25519) into one minified
// script with esbuild, once per process. The same sources and esbuild version give the same bytes
// (no paths, times or comments in the output), so builds stay deterministic; the build puts the
// publisher's key in front of it (core/build.ts serviceWorkerScript).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * src/sw/sw.ts of this checkout: next to this file when run from the sources, above it when run
 * from the build thread's bundle (node_modules/.cache/ferry, see worker-script.ts).
 */
function entry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    for (const candidate of [join(dir, 'sw', 'sw.ts'), join(dir, 'src', 'sw', 'sw.ts')]) if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`src/sw/sw.ts not found above ${fileURLToPath(import.meta.url)}`);
}

let bundled: Promise<string> | undefined;

/** The worker's code, minified (without the key it needs: see serviceWorkerScript), once per process. */
export function bundleServiceWorker(): Promise<string> {
  bundled ??= compileServiceWorker();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

/** Bundle the worker now (bundleServiceWorker keeps the first result). */
export async function compileServiceWorker(): Promise<string> {
  const result = await build({
    entryPoints: [entry()],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no service worker');
  return out.text;
}
