// Media copies carried inside the snapshot: which images to fetch, what they are, where they go.
import { sha256Hex } from './bytes.ts';

/** Image types a snapshot may carry, sniffed from the bytes (never trusted from headers). SVG is
 * excluded on purpose: it can carry script. */
export function sniffImageType(bytes: Uint8Array): 'png' | 'jpg' | 'gif' | 'webp' | 'avif' | undefined {
  const b = (i: number): number => bytes[i] ?? -1;
  const ascii = (from: number, text: string): boolean => [...text].every((ch, i) => b(from + i) === ch.charCodeAt(0));
  if (b(0) === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpg';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(4, 'ftypavif') || ascii(4, 'ftypavis')) return 'avif';
  return undefined;
}

/** Content-addressed snapshot path for a media file. */
export function mediaPath(bytes: Uint8Array, ext: string): string {
  return `/media/${sha256Hex(bytes).slice(0, 32)}.${ext}`;
}

/** Blogger's image hosts (blocked where Ferry's readers are). */
export const BLOGGER_MEDIA_HOSTS = ['bp.blogspot.com', 'blogger.googleusercontent.com'];

/** True when host is one of hosts or a subdomain of one. */
export function hostMatches(host: string, hosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return hosts.some((x) => {
    const y = x.toLowerCase();
    return h === y || h.endsWith(`.${y}`);
  });
}
