import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { acquireLock } from '../../adapters/node/process-lock.ts';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { loadConfig, loadMirrorList, type LoadedConfig } from '../load-config.ts';
import type { MirrorRef } from '../../core/model.ts';
import { readPrivateKey } from '../keys.ts';
import { runBuildIsolated } from '../build-worker.ts';

export const command: Command = {
  name: 'build',
  summary: 'ingest an origin, build a deterministic snapshot and sign it',
  usage: `ferry build --source <feed-URL-or-folder> --out DIR --key FILE [options]

  --source URL|DIR     Atom/RSS feed URL (Blogger's /feeds/posts/default too), feed file, or Markdown folder
  --out DIR            where the snapshot goes (a link to versioned folders, swapped atomically)
  --key FILE           the publisher's private key (ferry keygen)
  --data DIR           what Ferry remembers between builds (default: from ferry.config.json, else .ferry)
  --mirrors FILE       mirror list (default: mirrors/mirrors.json when present)
  --canonical URL      canonical mirror (default: the first mirror by priority)
  --blocked-host HOST  never link readers to HOST (repeatable; adds to ferry.config.json's list)
  --media-host HOST    also copy images from HOST (repeatable)
  --expires-days N     how long the signed manifest stays valid (default 14)
  --config FILE        configuration file (default: ./ferry.config.json when present)
  --json               print the report as JSON on stdout (progress still goes to stderr)
  --quiet              no progress lines

  SOURCE_DATE_EPOCH, when set, is used as the manifest's creation time.`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      source: { type: 'string' },
      out: { type: 'string' },
      key: { type: 'string' },
      data: { type: 'string' },
      mirrors: { type: 'string' },
      canonical: { type: 'string' },
      'blocked-host': { type: 'string', multiple: true },
      'media-host': { type: 'string', multiple: true },
      'expires-days': { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    });
    const config = await loadConfig(io.cwd, values.config);
    if (values.out === undefined) throw new UsageError('--out DIR is required');
    if (values.key === undefined) throw new UsageError('--key FILE is required (create one with: ferry keygen --out DIR)');
    const source =
      values.source === undefined ? config.source : /^https?:/i.test(values.source) ? values.source : resolve(io.cwd, values.source);
    let expiresDays = config.expiresDays;
    if (values['expires-days'] !== undefined) {
      expiresDays = Number(values['expires-days']);
      if (!(expiresDays > 0 && expiresDays <= 365)) throw new UsageError('--expires-days must be a number between 1 and 365');
    }
    if (values.canonical !== undefined && !/^https?:\/\/[^/]+/.test(values.canonical)) {
      throw new UsageError('--canonical must be an http(s) URL');
    }
    const epoch = io.env.SOURCE_DATE_EPOCH;
    if (epoch !== undefined && !/^\d+$/.test(epoch)) throw new UsageError('SOURCE_DATE_EPOCH must be whole seconds since 1970');
    const mirrorsFile = values.mirrors === undefined ? config.mirrors : resolve(io.cwd, values.mirrors);
    const mirrorList = await loadMirrorList(mirrorsFile, { required: values.mirrors !== undefined });
    const mirrors = mirrorList.mirrors;
    const privateKey = await readPrivateKey(resolve(io.cwd, values.key));
    const { canonical, canonicalFrom } = canonicalChoice(values.canonical, config, mirrorList);
    // What was picked up from the current folder, first: a build run inside a checkout silently
    // taking its ferry.config.json and mirror list (and so its canonical URL) would surprise.
    const used = {
      configFile: config.file ?? null,
      mirrorsFile: mirrorList.file ?? null,
      canonical,
      canonicalFrom,
    };
    if (values.quiet !== true) {
      io.err(
        `[config] config ${used.configFile ?? 'none (defaults)'}; mirrors ${used.mirrorsFile === null ? `none (${mirrorsFile} not found)` : `${used.mirrorsFile} (${mirrors.length} with a URL)`}; canonical ${canonical} (${canonicalFrom})`,
      );
    }

    const dataDir = values.data === undefined ? config.data : resolve(io.cwd, values.data);
    // One build or republish at a time per data folder (they share its state and snapshot versions).
    await mkdir(dataDir, { recursive: true });
    const lock = await acquireLock(join(dataDir, 'publish.lock'), 'a build or republish');
    const report = await runBuildIsolated(
      {
        source,
        out: resolve(io.cwd, values.out),
        privateKey,
        dataDir,
        mirrors,
        canonical,
        blockedHosts: [...config.blockedHosts, ...(values['blocked-host'] ?? [])],
        mediaHosts: [...config.mediaHosts, ...(values['media-host'] ?? [])],
        expiresDays,
        fullReadHours: config.ingest.fullReadHours,
        ...(epoch === undefined ? {} : { nowMs: Number(epoch) * 1000 }),
      },
      {
        memoryMb: config.buildMemoryMb,
        ...(values.quiet === true ? {} : { onProgress: (stage, message) => io.err(`[${stage}] ${message}`) }),
      },
    ).finally(() => lock.release());

    if (values.json === true) {
      io.out(JSON.stringify({ ...report, ...used, canonical: report.canonical }, null, 2));
      return 0;
    }
    io.out(`Built version ${report.version}: ${report.posts} posts, ${report.files} files in ${report.out}`);
    io.out(`Canonical: ${report.canonical}   valid until ${report.expires}`);
    if (report.media.failed.length > 0) io.out(`${report.media.failed.length} image(s) not copied (shown as links); see the lines above.`);
    if (report.quarantined.length > 0) {
      io.out(`\n${report.quarantined.length} post(s) HELD BACK for a maintainer (not published in their new form):`);
      for (const q of report.quarantined) {
        io.out(`  ${q.id}\n    "${q.title}"\n    ${q.reasons.join('\n    ')}`);
      }
      io.out('Review each one at the origin, then release it with: ferry approve <post-id>');
    }
    return 0;
  },
};

/**
 * The canonical URL and where it came from: --canonical, the config file's canonical, else the
 * first mirror by priority (as the build's own default, which it is passed to).
 */
function canonicalChoice(
  flag: string | undefined,
  config: LoadedConfig,
  list: { file?: string; mirrors: readonly MirrorRef[] },
): { canonical: string; canonicalFrom: string } {
  const slash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);
  if (flag !== undefined) return { canonical: slash(flag), canonicalFrom: '--canonical' };
  if (config.canonical !== undefined)
    return { canonical: slash(config.canonical), canonicalFrom: `canonical in ${config.file ?? 'the config'}` };
  const first = [...list.mirrors].sort((a, b) => a.priority - b.priority)[0];
  if (first !== undefined)
    return { canonical: slash(first.url), canonicalFrom: `first mirror '${first.id}' in ${list.file ?? 'the mirror list'}` };
  return { canonical: 'http://127.0.0.1:8787/', canonicalFrom: 'default: no mirror listed; pass --canonical or --mirrors' };
}
