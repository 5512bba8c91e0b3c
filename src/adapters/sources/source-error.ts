// Turns what went wrong underneath (a FetchError, an fs error) into a SourceError that names the
// URL or file and says the problem in words a maintainer can act on.
import { FetchError } from '../../ports/fetch.ts';
import { SourceError } from '../../ports/source.ts';

export function toSourceError(e: unknown, location: string): SourceError {
  if (e instanceof SourceError) return e;
  if (e instanceof FetchError) {
    const prefix = `${e.url}: `;
    const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return new SourceError(e.url, detail);
  }
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
  if (code === 'ENOENT') return new SourceError(location, 'no such file or folder');
  if (code === 'EACCES' || code === 'EPERM') return new SourceError(location, 'permission denied');
  return new SourceError(location, e instanceof Error ? e.message : String(e));
}
