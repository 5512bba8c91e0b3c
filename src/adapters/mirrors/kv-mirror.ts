// `kv` mirror: a Workers KV namespace holding the snapshot, key = prefix + path.
// Only the tiny part of the KV binding that is used is typed here, so Node tests can pass a fake.
import type { MirrorConfig } from '../../core/mirrors-config.ts';
import { MirrorError, type Mirror, type MirrorGetOptions, type MirrorResponse } from '../../ports/mirror.ts';
import { readCapped, TooLargeError } from '../web/read-capped.ts';

export interface KvReader {
  get(key: string, type: 'stream'): Promise<ReadableStream<Uint8Array> | null>;
}

export interface KvMirrorDeps {
  /** The binding the mirror reads (Workers: env.FERRY_KV). */
  kv: KvReader;
}

export function createKvMirror(config: MirrorConfig<'kv'>, { kv }: KvMirrorDeps): Mirror {
  const prefix = config.prefix ?? '';
  return {
    id: config.id,
    kind: config.kind,
    location: `kv:${prefix}`,
    priority: config.priority,
    async get(path: string, options: MirrorGetOptions): Promise<MirrorResponse> {
      if (!path.startsWith('/')) throw new MirrorError(config.id, 'bad-path', `path must start with '/': ${path}`);
      const work = (async (): Promise<MirrorResponse> => {
        const stream = await kv.get(prefix + path, 'stream');
        if (stream === null) return { found: false };
        try {
          return { found: true, body: await readCapped(stream, options.maxBytes) };
        } catch (e) {
          if (e instanceof TooLargeError) throw new MirrorError(config.id, 'too-large', `${prefix}${path}: ${e.message}`);
          throw new MirrorError(config.id, 'unreachable', `${prefix}${path}: ${(e as Error).message}`);
        }
      })();
      return withDeadline(work, config.id, options);
    },
  };
}

function withDeadline<T>(work: Promise<T>, id: string, { timeoutMs, signal }: MirrorGetOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      work.catch(() => undefined);
      reject(new MirrorError(id, 'aborted', 'request was cancelled'));
      return;
    }
    const timer = setTimeout(() => reject(new MirrorError(id, 'timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => reject(new MirrorError(id, 'aborted', 'request was cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work
      .then(resolve, (e: unknown) => {
        reject(e instanceof MirrorError ? e : new MirrorError(id, 'unreachable', (e as Error).message));
      })
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      })
      .catch(() => undefined);
  });
}
