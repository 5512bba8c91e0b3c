// `http` mirror: any static host (GitHub Pages, an S3 website, another server): base URL + path.
import type { MirrorConfig } from '../../core/mirrors-config.ts';
import { FetchError, type LimitedFetch } from '../../ports/fetch.ts';
import { MirrorError, type Mirror, type MirrorGetOptions, type MirrorResponse } from '../../ports/mirror.ts';

export interface HttpMirrorDeps {
  fetch: LimitedFetch;
}

export function createHttpMirror(config: MirrorConfig<'http'>, { fetch }: HttpMirrorDeps): Mirror {
  return createUrlMirror(config, config.url, fetch);
}

/** A mirror that answers GET base + path (shared with the ipfs-gateway adapter). */
export function createUrlMirror(config: Pick<MirrorConfig, 'id' | 'kind' | 'priority'>, base: string, fetch: LimitedFetch): Mirror {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    id: config.id,
    kind: config.kind,
    location: root,
    priority: config.priority,
    async get(path: string, options: MirrorGetOptions): Promise<MirrorResponse> {
      if (!path.startsWith('/')) throw new MirrorError(config.id, 'bad-path', `path must start with '/': ${path}`);
      // Each segment encoded: a name holding '%', '?' or '#' must not turn into another path.
      const url = root + path.slice(1).split('/').map(encodeURIComponent).join('/');
      try {
        const res = await fetch(url, {
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (res.status === 404 || res.status === 410) return { found: false };
        if (res.status < 200 || res.status > 299) {
          throw new MirrorError(config.id, 'http-status', `${url}: HTTP ${res.status}`);
        }
        return { found: true, body: res.body };
      } catch (e) {
        if (e instanceof FetchError) {
          // Over the limit: only a success status makes it the mirror's answer for this path (the
          // edge asks with the signed size, so that is evidence); a big error page is not.
          if (e.problem === 'too-large' && e.status !== undefined && (e.status < 200 || e.status > 299)) {
            if (e.status === 404 || e.status === 410) return { found: false };
            throw new MirrorError(config.id, 'http-status', `${url}: HTTP ${e.status}`);
          }
          // A refused redirect is a failing mirror, like an error status.
          throw new MirrorError(
            config.id,
            e.problem === 'bad-url' ? 'bad-path' : e.problem === 'redirect' ? 'http-status' : e.problem,
            e.message,
          );
        }
        throw e;
      }
    },
  };
}
