// Which snapshot file a request asks for, if any: a GET under the worker's scope, without a query,
// whose path is a safe snapshot path ('/2016/06/' is '/2016/06/index.html'). Pure.
import { isSafeSnapshotPath } from '../core/signed-manifest.ts';

export function snapshotPathOf(url: string, scope: string): string | undefined {
  let u: URL;
  let s: URL;
  try {
    u = new URL(url);
    s = new URL(scope);
  } catch {
    return undefined;
  }
  if (u.origin !== s.origin || u.search !== '' || !u.pathname.startsWith(s.pathname)) return undefined;
  let path: string;
  try {
    path = `/${decodeURIComponent(u.pathname.slice(s.pathname.length))}`;
  } catch {
    return undefined;
  }
  if (path.endsWith('/')) path += 'index.html';
  // The edge's own pages (dashboard, health) are not snapshot files.
  if (path.startsWith('/_ferry/') || path.startsWith('/ipfs/')) return undefined;
  return isSafeSnapshotPath(path) ? path : undefined;
}
