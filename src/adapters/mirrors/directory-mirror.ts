// `directory` mirror: a local snapshot folder (Node only; src/edge and src/worker never import it).
import { open } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { isSafeSnapshotPath } from '../../core/manifest.ts';
import type { MirrorConfig } from '../../core/mirrors-config.ts';
import { MirrorError, type Mirror, type MirrorGetOptions, type MirrorResponse } from '../../ports/mirror.ts';

export interface DirectoryMirrorDeps {
  /** Folder that relative `path` entries are resolved against (the mirrors file's folder). */
  baseDir: string;
}

export function createDirectoryMirror(config: MirrorConfig<'directory'>, { baseDir }: DirectoryMirrorDeps): Mirror {
  const root = resolve(baseDir, config.path);
  return {
    id: config.id,
    kind: config.kind,
    location: root,
    priority: config.priority,
    async get(path: string, options: MirrorGetOptions): Promise<MirrorResponse> {
      if (!isSafeSnapshotPath(path)) throw new MirrorError(config.id, 'bad-path', `unsafe path ${JSON.stringify(path)}`);
      const file = resolve(root, `.${path}`);
      if (!file.startsWith(root + sep)) throw new MirrorError(config.id, 'bad-path', `path escapes the folder: ${path}`);
      if (options.signal?.aborted) throw new MirrorError(config.id, 'aborted', 'request was cancelled');
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return { found: false };
        throw new MirrorError(config.id, 'unreachable', `${file}: ${(e as Error).message}`);
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) return { found: false };
        if (info.size > options.maxBytes) {
          throw new MirrorError(config.id, 'too-large', `${file}: ${info.size} bytes is over the limit of ${options.maxBytes}`);
        }
        const body = new Uint8Array(info.size);
        const { bytesRead } = await handle.read(body, 0, info.size, 0);
        return { found: true, body: bytesRead === info.size ? body : body.subarray(0, bytesRead) };
      } finally {
        await handle.close();
      }
    },
  };
}
