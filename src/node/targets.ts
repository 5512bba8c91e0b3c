// Publish targets from configuration: one factory per kind of TARGET_KINDS (src/core/targets-config.ts,
// where each kind's fields and typed config are), each handed only what it needs: its validated
// config (required fields present), its work folder, the environment for secrets.
import { join, resolve } from 'node:path';
import type { PublishTarget } from '../ports/publisher.ts';
import { createKinds, type KindFactories } from '../core/kinds.ts';
import { TARGET_KINDS, type TargetConfig } from '../core/targets-config.ts';
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

const workDir = (d: TargetDeps, id: string): string => join(d.dataDir, 'publish', id);

export const TARGET_FACTORIES: KindFactories<typeof TARGET_KINDS, TargetDeps, PublishTarget> = {
  directory: ({ id, path, keep }, d) =>
    createDirectoryPublisher({ id, path: resolve(d.baseDir, path), keep, statCacheFile: join(workDir(d, id), 'folder-stat.json') }),
  git: ({ id, remote, branch, tokenEnv, nojekyll, keep }, d) =>
    createGitPublisher({ id, remote, branch, workDir: workDir(d, id), tokenEnv, nojekyll, keep }, { env: d.env }),
  kv: ({ id, accountId, namespaceId, tokenEnv, prefix, apiBase }, d) =>
    createKvPublisher({ id, accountId, namespaceId, tokenEnv, prefix, apiBase }, { env: d.env }),
  s3: ({ id, endpoint, bucket, region, prefix, accessKeyIdEnv, secretAccessKeyEnv, sessionTokenEnv }, d) =>
    createS3Publisher(
      {
        id,
        endpoint,
        bucket,
        region,
        prefix,
        accessKeyIdEnv,
        secretAccessKeyEnv,
        sessionTokenEnv,
        md5CacheFile: join(workDir(d, id), 's3-md5.json'),
      },
      { env: d.env },
    ),
};

export function createTargets(configs: readonly TargetConfig[], deps: TargetDeps): PublishTarget[] {
  return createKinds(TARGET_KINDS, configs, TARGET_FACTORIES, deps, 'target');
}
