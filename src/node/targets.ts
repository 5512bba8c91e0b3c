// Publish targets from configuration: one factory per kind (the table mirrors TARGET_KINDS), each
// handed only what it needs: its validated options, its work folder, the environment for secrets.
import { join, resolve } from 'node:path';
import type { PublishTarget } from '../ports/publisher.ts';
import type { TargetConfig } from '../core/targets-config.ts';
import { createDirectoryPublisher } from '../adapters/publishers/directory-publisher.ts';
import { createGitPublisher } from '../adapters/publishers/git-publisher.ts';
import { createKvPublisher } from '../adapters/publishers/kv-publisher.ts';
import { createS3Publisher } from '../adapters/publishers/s3-publisher.ts';

export interface TargetDeps {
  /** Folder relative paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
}

type Options = TargetConfig['options'];
const str = (o: Options, k: string): string => {
  const v = o[k];
  return typeof v === 'string' ? v : '';
};
const opt = <K extends string>(o: Options, k: K): { [P in K]?: string } => {
  const v = o[k];
  return (typeof v === 'string' ? { [k]: v } : {}) as { [P in K]?: string };
};
const list = (o: Options, k: string): { keep?: string[] } => {
  const v = o[k];
  return Array.isArray(v) ? { keep: v } : {};
};

const FACTORIES: Readonly<Record<string, (t: TargetConfig, deps: TargetDeps) => PublishTarget>> = {
  directory: (t, d) =>
    createDirectoryPublisher({
      id: t.id,
      path: resolve(d.baseDir, str(t.options, 'path')),
      ...list(t.options, 'keep'),
      statCacheFile: join(d.dataDir, 'publish', t.id, 'folder-stat.json'),
    }),
  git: (t, d) =>
    createGitPublisher(
      {
        id: t.id,
        remote: str(t.options, 'remote'),
        branch: str(t.options, 'branch'),
        workDir: join(d.dataDir, 'publish', t.id),
        ...opt(t.options, 'tokenEnv'),
        ...(typeof t.options.nojekyll === 'boolean' ? { nojekyll: t.options.nojekyll } : {}),
        ...list(t.options, 'keep'),
      },
      { env: d.env },
    ),
  kv: (t, d) =>
    createKvPublisher(
      {
        id: t.id,
        accountId: str(t.options, 'accountId'),
        namespaceId: str(t.options, 'namespaceId'),
        tokenEnv: str(t.options, 'tokenEnv'),
        ...opt(t.options, 'prefix'),
        ...opt(t.options, 'apiBase'),
      },
      { env: d.env },
    ),
  s3: (t, d) =>
    createS3Publisher(
      {
        id: t.id,
        endpoint: str(t.options, 'endpoint'),
        bucket: str(t.options, 'bucket'),
        accessKeyIdEnv: str(t.options, 'accessKeyIdEnv'),
        secretAccessKeyEnv: str(t.options, 'secretAccessKeyEnv'),
        ...opt(t.options, 'region'),
        ...opt(t.options, 'prefix'),
        ...opt(t.options, 'sessionTokenEnv'),
        md5CacheFile: join(d.dataDir, 'publish', t.id, 's3-md5.json'),
      },
      { env: d.env },
    ),
};

export function createTargets(configs: readonly TargetConfig[], deps: TargetDeps): PublishTarget[] {
  return configs.map((t) => {
    const factory = FACTORIES[t.kind];
    if (factory === undefined) throw new Error(`target '${t.id}': no publisher for kind ${t.kind}`);
    return factory(t, deps);
  });
}
