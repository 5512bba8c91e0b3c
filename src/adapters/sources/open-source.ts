// Picks the source for a location: an http(s) URL is a feed (Atom or RSS, sniffed from what it
// serves), a local folder is a Markdown blog, a local .xml file is a saved feed.
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { OriginSnapshot } from '../../core/model.ts';
import type { LimitedFetch } from '../../ports/fetch.ts';
import { SourceError, type OriginSource, type ReadOptions } from '../../ports/source.ts';
import { createLimitedFetch } from '../web/limited-fetch.ts';
import { createFeedFileSource, createFeedUrlSource } from './feed-source.ts';
import { createMarkdownSource } from './markdown-source.ts';
import { toSourceError } from './source-error.ts';

export interface OpenSourceOptions {
  fetch?: LimitedFetch;
  /** Deadline per request, in milliseconds (default 20000). */
  timeoutMs?: number;
  /** Largest page or file accepted, in bytes (default 20 MiB). */
  maxBytes?: number;
  /** Most feed pages followed (default 1000). */
  maxPages?: number;
  onProgress?: (msg: string) => void;
  /** For a Markdown folder: where to keep the index of files already read (see MarkdownSourceOptions). */
  indexFile?: string;
}

export const SOURCE_DEFAULTS = { timeoutMs: 20_000, maxBytes: 20 * 1024 * 1024, maxPages: 1000 } as const;

export function openSource(location: string, opts: OpenSourceOptions = {}): OriginSource {
  const timeoutMs = opts.timeoutMs ?? SOURCE_DEFAULTS.timeoutMs;
  const maxBytes = opts.maxBytes ?? SOURCE_DEFAULTS.maxBytes;
  const maxPages = opts.maxPages ?? SOURCE_DEFAULTS.maxPages;
  const onProgress = opts.onProgress;
  if (/^https?:\/\//i.test(location)) {
    const fetch = opts.fetch ?? createLimitedFetch();
    return createFeedUrlSource(location, { fetch, timeoutMs, maxBytes, maxPages, ...(onProgress ? { onProgress } : {}) });
  }
  return {
    async read(options?: ReadOptions): Promise<OriginSnapshot> {
      const path = toLocalPath(location);
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(path)).isDirectory();
      } catch (e) {
        throw toSourceError(e, location);
      }
      const extra = onProgress ? { onProgress } : {};
      if (isDirectory) {
        return createMarkdownSource(path, {
          maxBytes,
          ...extra,
          ...(opts.indexFile === undefined ? {} : { indexFile: opts.indexFile }),
        }).read(options);
      }
      if (/\.xml$/i.test(path)) return createFeedFileSource(path, { maxBytes, ...extra }).read();
      throw new SourceError(location, 'not a feed URL (http or https), a .xml feed file or a folder of Markdown posts');
    },
  };
}

function toLocalPath(location: string): string {
  if (/^file:/i.test(location)) {
    try {
      return fileURLToPath(location);
    } catch {
      throw new SourceError(location, 'not a valid file: URL');
    }
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(location)) {
    throw new SourceError(location, 'only http, https and local files or folders can be read');
  }
  return location;
}
