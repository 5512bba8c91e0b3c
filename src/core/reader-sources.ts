// Where the reader's service worker may ask for a snapshot file, in order: the address the reader
// is on (its origin), then the signed manifest's other mirrors by priority, then its IPFS gateways.
// Nothing else: a host that is not the reader's own and not in the signed manifest is never asked.
// Pure.
import type { Manifest } from './signed-manifest.ts';

export interface ReaderSource {
  /** The manifest's mirror id, or 'origin' for an address the manifest does not list. */
  id: string;
  /** 'http': base + path. 'ipfs-block': a trustless gateway asked for each file's raw block by CID. */
  kind: 'http' | 'ipfs-block';
  /** Base URL ending with '/'. */
  base: string;
  /** Lower is asked first: the order above, 0 for the origin. */
  priority: number;
  /** The reader's own address. */
  origin: boolean;
}

/** `scope` is the service worker's scope: the snapshot's root on the reader's address, ending with '/'. */
export function readerSources(manifest: Pick<Manifest, 'mirrors'>, scope: string): ReaderSource[] {
  const scopeUrl = baseUrl(scope);
  if (scopeUrl === undefined) return [];
  const sorted = [...manifest.mirrors].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const own = sorted.find((m) => m.kind === 'http' && baseUrl(m.url) === scopeUrl);
  const out: ReaderSource[] = [{ id: own?.id ?? 'origin', kind: 'http', base: scopeUrl, priority: 0, origin: true }];
  const seen = new Set([`http ${scopeUrl}`]);
  const add = (id: string, kind: ReaderSource['kind'], base: string): void => {
    if (seen.has(`${kind} ${base}`) || out.some((s) => s.id === id)) return;
    // An https page may not read from plain http (the browser would block it as mixed content).
    if (scopeUrl.startsWith('https:') && base.startsWith('http:')) return;
    seen.add(`${kind} ${base}`);
    out.push({ id, kind, base, priority: out.length, origin: false });
  };
  for (const m of sorted) {
    const base = baseUrl(m.url);
    if (m.kind === 'http' && base !== undefined) add(m.id, 'http', base);
  }
  for (const m of sorted) {
    const base = baseUrl(m.url);
    if (m.kind === 'ipfs-gateway' && base !== undefined) add(m.id, 'ipfs-block', base);
  }
  return out;
}

/** An http(s) URL with no credentials, query or fragment, ending with '/'; undefined for anything else. */
function baseUrl(url: string): string | undefined {
  if (!/^https?:\/\/[^\s"'<>\\@?#]+$/i.test(url)) return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}
