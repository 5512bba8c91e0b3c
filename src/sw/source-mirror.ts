// The reader's sources (core/reader-sources.ts) as the edge's Mirror port, so the service worker
// races them with the edge's own hedged pool (edge/mirror-pool.ts). Every request has a deadline,
// a size cap (the size the manifest signs), no credentials, no referrer and no redirects (a
// redirect could lead to a host the signed manifest does not list).
import type { Mirror, MirrorGetOptions, MirrorResponse } from '../ports/mirror.ts';
import { MirrorError } from '../ports/mirror-error.ts';
import { RAW_BLOCK_MAX_BYTES, rawCidOf } from '../core/raw-cid.ts';
import type { ReaderSource } from '../core/reader-sources.ts';
import type { FileEntry } from '../core/signed-manifest.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface SourceMirror extends Mirror {
  readonly source: ReaderSource;
  /**
   * As get, but reading an answer the browser already asked this source for (a navigation
   * preload: the browser starts the page's request while the worker starts); the same checks.
   */
  take(answer: Promise<Response | undefined>, path: string, options: MirrorGetOptions): Promise<MirrorResponse>;
  /** Whether it can be asked for manifest.json (an IPFS block source cannot: its CID is unknown). */
  readonly servesManifest: boolean;
}

export interface SourceMirrorOptions {
  fetch: FetchLike;
  /** The signed entry for a path, for sources that address files by their hash. */
  entryOf: (path: string) => FileEntry | undefined;
  /**
   * A snapshot root CID to read larger files by path (`<gateway>ipfs/<cid>/<path>`): the one the
   * snapshot's verified mirrors.json names (an earlier publish's; unchanged files are the same).
   */
  rootCid?: () => Promise<string | undefined>;
}

export function createSourceMirror(
  source: ReaderSource,
  { fetch, entryOf, rootCid = async () => undefined }: SourceMirrorOptions,
): SourceMirror {
  const encoded = (path: string): string => path.slice(1).split('/').map(encodeURIComponent).join('/');
  const urlFor = async (path: string): Promise<{ url: string; accept?: string } | undefined> => {
    if (source.kind === 'http') return { url: source.base + encoded(path) };
    const entry = entryOf(path);
    if (entry === undefined) return undefined;
    // One block: asked for by its CID (the signed sha256), from a trustless gateway.
    if (entry.size <= RAW_BLOCK_MAX_BYTES) {
      return { url: `${source.base}ipfs/${rawCidOf(entry.sha256)}?format=raw`, accept: 'application/vnd.ipld.raw' };
    }
    const root = await rootCid();
    return root === undefined ? undefined : { url: `${source.base}ipfs/${root}/${encoded(path)}` };
  };
  return {
    id: source.id,
    kind: source.kind,
    location: source.base,
    priority: source.priority,
    source,
    servesManifest: source.kind === 'http',
    async get(path: string, options: MirrorGetOptions): Promise<MirrorResponse> {
      const target = await urlFor(path);
      if (target === undefined) return { found: false };
      return fetchCapped(fetch, source.id, target.url, options, target.accept);
    },
    async take(answer: Promise<Response | undefined>, path: string, options: MirrorGetOptions): Promise<MirrorResponse> {
      const target = await urlFor(path);
      if (target === undefined) return { found: false };
      const preloaded: FetchLike = async (url, init) => {
        const res = await answer;
        return res ?? fetch(url, init);
      };
      return fetchCapped(preloaded, source.id, target.url, options, target.accept);
    },
  };
}

/** GET url within options.timeoutMs, reading at most options.maxBytes. 404 is `found: false`. */
export async function fetchCapped(
  fetch: FetchLike,
  id: string,
  url: string,
  { signal, maxBytes, timeoutMs }: MirrorGetOptions,
  accept?: string,
): Promise<MirrorResponse> {
  const timer = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? timer : AbortSignal.any([signal, timer]);
  let res: Response;
  try {
    res = await untilAborted(
      combined,
      fetch(url, {
        signal: combined,
        credentials: 'omit',
        mode: 'cors',
        redirect: 'error',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        ...(accept === undefined ? {} : { headers: { accept } }),
      }),
    );
  } catch (e) {
    throw abortOr(id, signal, timer, timeoutMs, e);
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    return { found: false };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new MirrorError(id, 'http-status', `HTTP ${res.status} for ${url}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new MirrorError(id, 'too-large', `${url}: ${declared} bytes, more than the ${maxBytes} expected`);
  }
  const reader = res.body?.getReader();
  if (reader === undefined) return { found: true, body: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new MirrorError(id, 'too-large', `${url}: more than the ${maxBytes} bytes expected`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof MirrorError) throw e;
    throw abortOr(id, signal, timer, timeoutMs, e);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { found: true, body };
}

/** The promise, or a rejection as soon as signal aborts (an answer started elsewhere may not listen to it). */
function untilAborted<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function abortOr(id: string, signal: AbortSignal | undefined, timer: AbortSignal, timeoutMs: number, e: unknown): MirrorError {
  if (signal?.aborted === true) return new MirrorError(id, 'aborted', 'aborted');
  if (timer.aborted) return new MirrorError(id, 'timeout', `no answer within ${timeoutMs} ms`);
  return new MirrorError(id, 'unreachable', e instanceof Error ? e.message : String(e));
}
