// Bundles the reader's service worker (src/sw/sw.ts, with @noble/ed25519) into one minified
// script with esbuild, once per process. The same sources and esbuild version give the same bytes
// (no paths, times or comments in the output), so builds stay deterministic; the build puts the
// publisher's key in front of it (core/build.ts serviceWorkerScript).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../sw/sw.ts', import.meta.url));

let bundled: Promise<string> | undefined;

/** The worker's code, minified (without the key it needs: see serviceWorkerScript). */
export function bundleServiceWorker(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  }).then((result) => {
    const out = result.outputFiles[0];
    if (out === undefined) throw new Error('esbuild produced no service worker');
    return out.text;
  });
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}
