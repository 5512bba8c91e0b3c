// `npm run dev:worker [-- <wrangler dev options>]`: the Worker edge in workerd, serving the bundled
// example blog, from a fresh clone, in one command:
//   1. the local signing key (the one `npm start` uses, created if there is none, in ferry.config.json's data folder),
//   2. .dev.vars with FERRY_PUBLIC_KEY set from it (other lines in .dev.vars are kept),
//   3. the example snapshot, built if there is none or it is not signed by that key or has expired,
//   4. that snapshot loaded into the local KV `wrangler dev` persists (`ferry kv-put --local`),
//   5. `wrangler dev`, with no telemetry and no look-up of Cloudflare's request metadata.
// Options after `--` go to wrangler dev (e.g. `-- --port 8788`; `--persist-to DIR` is used for the KV too).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toBase64, utf8ToString } from '../src/core/bytes.ts';
import { MANIFEST_PATH, SIGNATURE_PATH } from '../src/core/manifest.ts';
import { acceptManifest } from '../src/core/verify.ts';
import { writeFileAtomic } from '../src/adapters/node/atomic-file.ts';
import { main } from '../src/node/cli.ts';
import { processIo } from '../src/node/cli-io.ts';
import { ensureKeyPair, readPublicKey } from '../src/node/keys.ts';
import { loadConfig } from '../src/node/load-config.ts';

const cwd = process.cwd();
const wranglerArgs = process.argv.slice(2);
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
  // Miniflare fetches https://workers.cloudflare.com/cf.json at start unless told not to: offline
  // that is a delay and a warning on every start.
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
};
const io = { ...processIo, env, cwd };
const say = (line: string): void => io.err(`[dev:worker] ${line}`);

const config = await loadConfig(cwd);
const keys = await ensureKeyPair(join(config.data, 'keys'));
if (keys.created) say(`created a signing key in ${keys.keyFile}`);
const publicKey = await readPublicKey(keys.pubFile);

const devVars = join(cwd, '.dev.vars');
await setDevVar(devVars, 'FERRY_PUBLIC_KEY', toBase64(publicKey));
say(`${devVars}: FERRY_PUBLIC_KEY is the public key of ${keys.keyFile}`);

const why = await whyBuild(config.out, publicKey);
if (why !== undefined) {
  say(`building ${config.source} into ${config.out} (${why})`);
  const code = await main(['build', '--out', config.out, '--key', keys.keyFile, '--quiet'], io);
  if (code !== 0) process.exit(code);
}

const persistAt = wranglerArgs.indexOf('--persist-to');
const persistTo = persistAt >= 0 ? wranglerArgs[persistAt + 1] : undefined;
const loaded = await main(['kv-put', config.out, '--local', ...(persistTo === undefined ? [] : ['--persist-to', persistTo])], io);
if (loaded !== 0) process.exit(loaded);

const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
say(`starting wrangler dev ${wranglerArgs.join(' ')}`.trimEnd());
const child = spawn(process.execPath, [wrangler, 'dev', ...wranglerArgs], { stdio: 'inherit', env, cwd });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.once('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));

/** Set one KEY=value line of a .dev.vars file, keeping the others (and creating the file). */
async function setDevVar(file: string, name: string, value: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '# Written by npm run dev:worker (see .dev.vars.example). Never commit this file.\n';
    throw e;
  });
  const lines = text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const at = lines.findIndex((l) => new RegExp(`^\\s*${name}\\s*=`).test(l));
  const line = `${name}=${value}`;
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  await writeFileAtomic(file, `${lines.join('\n')}\n`, 0o600);
}

/** Why the snapshot at out must be built first, or undefined when it can be served as it is. */
async function whyBuild(out: string, key: Uint8Array): Promise<string | undefined> {
  let manifest: Uint8Array;
  let signature: string;
  try {
    manifest = new Uint8Array(await readFile(join(resolve(out), MANIFEST_PATH.slice(1))));
    signature = utf8ToString(new Uint8Array(await readFile(join(resolve(out), SIGNATURE_PATH.slice(1)))), 'manifest.json.sig');
  } catch {
    return 'there is none yet';
  }
  try {
    acceptManifest(manifest, signature, { publicKey: key, now: new Date() });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
