// `ferry kv-put DIR`: load a signed snapshot into Workers KV, where the Worker's `kv` mirror reads
// it (key = prefix + path), with binary files intact: into the local KV `wrangler dev` persists
// (--local, through wrangler's getPlatformProxy, the same store and folder wrangler dev uses), or
// into a namespace on Cloudflare (the REST API, as the `kv` publish target does). Only changed
// keys are written; manifest.json.sig and manifest.json go last; stale keys are deleted.
// (`wrangler kv bulk put` with base64 values corrupts binary files locally: workers-sdk#15192.)
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command, CliIo } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { announceSnapshot, openSnapshotFiles } from '../../adapters/node/snapshot-source.ts';
import { createKvBindingPublisher, type KvBinding } from '../../adapters/publishers/kv-binding-publisher.ts';
import { createKvPublisher } from '../../adapters/publishers/kv-publisher.ts';
import type { PublishResult } from '../../ports/publisher.ts';
import { openSnapshotFolder } from './snapshot-folder.ts';

export const command: Command = {
  name: 'kv-put',
  summary: "load a snapshot into Workers KV (local for wrangler dev, or Cloudflare's), binaries intact",
  usage: `ferry kv-put DIR --local [--wrangler-config FILE] [--binding NAME] [--persist-to DIR] [--prefix P]
       ferry kv-put DIR --namespace-id ID [--account-id ID] [--token-env NAME] [--prefix P]

  DIR is a snapshot folder, or the link \`ferry build --out\` made. Keys are P + path
  (snapshot/index.html with the default prefix "snapshot", as wrangler.toml's kv mirror reads).

  --local             write the local KV that \`wrangler dev\` uses: the namespace bound as --binding
                      (default FERRY_KV) in --wrangler-config (default ./wrangler.toml), persisted
                      where wrangler dev keeps it (--persist-to, default .wrangler/state beside
                      wrangler.toml; give the same --persist-to to wrangler dev if you change it)
  --namespace-id ID   write the namespace on Cloudflare (the id \`wrangler kv namespace create\` printed)
  --account-id ID     your Cloudflare account (default: $CLOUDFLARE_ACCOUNT_ID)
  --token-env NAME    environment variable holding an API token with "Workers KV Storage Write"
                      (default CLOUDFLARE_API_TOKEN)
  --api-base URL      Cloudflare API base (default https://api.cloudflare.com/client/v4)
  --json              print the result as JSON`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        local: { type: 'boolean' },
        'wrangler-config': { type: 'string' },
        binding: { type: 'string' },
        'persist-to': { type: 'string' },
        prefix: { type: 'string' },
        'namespace-id': { type: 'string' },
        'account-id': { type: 'string' },
        'token-env': { type: 'string' },
        'api-base': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError('give exactly one snapshot folder');
    const local = values.local === true;
    if (local === (values['namespace-id'] !== undefined))
      throw new UsageError('give either --local (for wrangler dev) or --namespace-id ID (a namespace on Cloudflare)');
    const prefix = values.prefix ?? 'snapshot';
    const folder = await openSnapshotFolder(io.cwd, positionals[0]);
    const files = announceSnapshot(await openSnapshotFiles(folder.real));
    const progress = (m: string): void => io.err(`[kv] ${m}`);

    let where: string;
    let result: PublishResult;
    if (local) {
      const configPath = resolve(io.cwd, values['wrangler-config'] ?? 'wrangler.toml');
      if (!(await stat(configPath).catch(() => undefined))?.isFile())
        throw new UsageError(`${configPath}: no such file; run in the folder of wrangler.toml or pass --wrangler-config FILE`);
      const persistTo = resolve(io.cwd, values['persist-to'] ?? join(dirname(configPath), '.wrangler', 'state'));
      const binding = values.binding ?? 'FERRY_KV';
      where = `local KV ${binding} (${persistTo})`;
      result = await withLocalKv(io, configPath, persistTo, binding, (kv) =>
        createKvBindingPublisher({ id: 'local-kv', prefix }, kv).publish(files, { onProgress: progress }),
      );
    } else {
      const accountId = values['account-id'] ?? io.env.CLOUDFLARE_ACCOUNT_ID;
      if (accountId === undefined || accountId === '')
        throw new UsageError('--account-id ID is required (or set CLOUDFLARE_ACCOUNT_ID): the account the namespace belongs to');
      const namespaceId = values['namespace-id'] ?? '';
      where = `KV namespace ${namespaceId}`;
      const target = createKvPublisher(
        {
          id: 'kv',
          accountId,
          namespaceId,
          tokenEnv: values['token-env'] ?? 'CLOUDFLARE_API_TOKEN',
          prefix,
          ...(values['api-base'] === undefined ? {} : { apiBase: values['api-base'] }),
        },
        { env: io.env },
      );
      result = await target.publish(files, { onProgress: progress });
    }
    if (values.json === true) io.out(JSON.stringify({ where, prefix, ...result }, null, 2));
    else
      io.out(
        `Loaded ${folder.shown} into ${where}, keys ${prefix}/...: ${result.uploaded} written, ${result.unchanged} unchanged, ${result.deleted} deleted`,
      );
    return 0;
  },
};

/**
 * The local KV namespace through wrangler's getPlatformProxy: it reads wrangler.toml and opens the
 * store Miniflare keeps under persistTo/v3, exactly as `wrangler dev --persist-to persistTo` does.
 */
async function withLocalKv<T>(
  io: CliIo,
  configPath: string,
  persistTo: string,
  binding: string,
  work: (kv: KvBinding) => Promise<T>,
): Promise<T> {
  // Miniflare reads these from the process: no look-up of Cloudflare's request metadata (which
  // fails offline, slowly and noisily) unless asked for.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = io.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false';
  let wrangler: typeof import('wrangler');
  try {
    wrangler = await import('wrangler');
  } catch (e) {
    throw new UsageError(`--local needs wrangler (a dev dependency of Ferry): run npm install (${(e as Error).message})`);
  }
  const proxy = await wrangler.getPlatformProxy<Record<string, unknown>>({
    configPath,
    persist: { path: join(persistTo, 'v3') },
    remoteBindings: false,
  });
  try {
    const kv = proxy.env[binding];
    if (!isKvBinding(kv))
      throw new UsageError(`${configPath} binds no KV namespace as ${binding} ([[kv_namespaces]] binding = "${binding}")`);
    return await work(kv);
  } finally {
    await proxy.dispose();
  }
}

function isKvBinding(v: unknown): v is KvBinding {
  return (
    typeof v === 'object' &&
    v !== null &&
    'get' in v &&
    typeof v.get === 'function' &&
    'put' in v &&
    typeof v.put === 'function' &&
    'delete' in v &&
    typeof v.delete === 'function' &&
    'list' in v &&
    typeof v.list === 'function'
  );
}
