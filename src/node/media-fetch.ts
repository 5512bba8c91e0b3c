// Fetch the images posts load from the origin's hosts into the media store, within a size limit
// per file and per build. An image that cannot be fetched is reported, never fatal.
import type { LimitedFetch } from '../ports/fetch.ts';
import type { MediaStore } from '../adapters/node/media-store.ts';
import { hostMatches, sniffImageType } from '../core/media.ts';
import { requireOk } from '../adapters/web/limited-fetch.ts';

export interface MediaLimits {
  maxFileBytes: number;
  maxBuildBytes: number;
  timeoutMs: number;
  concurrency: number;
}

export interface MediaFailure {
  url: string;
  error: string;
  /** A fetch that failed (may work next time), as opposed to an image Ferry never copies. */
  retryable: boolean;
}

export interface MediaResult {
  /** Absolute image URL -> snapshot path of its copy. */
  map: Map<string, string>;
  fetched: number;
  fetchedBytes: number;
  failures: MediaFailure[];
}

export async function fetchMedia(
  urls: readonly string[],
  opts: {
    fetch: LimitedFetch;
    store: MediaStore;
    hosts: readonly string[];
    limits: MediaLimits;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<MediaResult> {
  const map = new Map<string, string>();
  const failures: MediaFailure[] = [];
  const todo: string[] = [];
  for (const url of [...new Set(urls)].sort()) {
    const cached = opts.store.lookup(url);
    if (cached !== undefined) map.set(url, cached);
    else if (isFetchable(url, opts.hosts)) todo.push(url);
    else failures.push({ url, error: 'not on an origin media host: shown as a link, not copied', retryable: false });
  }
  let fetchedBytes = 0;
  let fetched = 0;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < todo.length; i = next++) {
      const url = todo[i];
      if (url === undefined) continue;
      try {
        const budget = opts.limits.maxBuildBytes - fetchedBytes;
        if (budget <= 0) throw new Error(`media budget of ${opts.limits.maxBuildBytes} bytes for this build is used up`);
        const res = requireOk(
          await opts.fetch(url, {
            timeoutMs: opts.limits.timeoutMs,
            maxBytes: Math.min(opts.limits.maxFileBytes, budget),
            headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif' },
          }),
        );
        fetchedBytes += res.body.length;
        const ext = sniffImageType(res.body);
        if (ext === undefined) throw new Error('not a PNG, JPEG, GIF, WebP or AVIF image');
        map.set(url, await opts.store.put(url, res.body, ext));
        fetched++;
      } catch (e) {
        failures.push({ url, error: (e as Error).message, retryable: true });
      }
      opts.onProgress?.(++done, todo.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.limits.concurrency) }, worker));
  await opts.store.flush();
  failures.sort((a, b) => (a.url < b.url ? -1 : 1));
  return { map, fetched, fetchedBytes, failures };
}

function isFetchable(url: string, hosts: readonly string[]): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && hostMatches(u.hostname, hosts);
  } catch {
    return false;
  }
}
