// The URL attributes of sanitized post HTML, rewritten in one linear pass: made relative to the page
// that shows the post (render), or absolute against the canonical base (feeds). Pure.
//
// Relies on the HTML being the sanitizer's serialization: text never holds a raw `<`, attribute
// values never a raw `>` (so a tag is `<name ...>` and nothing else is), and there are no comments.
import { relativeHref, isRootRelative } from './paths.ts';

const URL_ATTRIBUTES = new Set(['href', 'src', 'poster', 'cite', 'srcset']);

/**
 * `map` is called with every URL in a URL attribute (each candidate of a srcset), as written in the
 * HTML (entities not decoded, surrounding spaces kept), and returns its replacement, written back in
 * double quotes. Everything else is left byte for byte as it was.
 */
export function mapUrlAttributes(html: string, map: (url: string) => string): string {
  return html.replace(
    /<([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*?)?(\/?)>/g,
    (tag: string, name: string, attrs: string | undefined, close: string) => {
      if (attrs === undefined) return tag;
      const rewritten = attrs.replace(
        /(\s)([A-Za-z_:][-A-Za-z0-9_:.]*)(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g,
        (attr: string, space: string, attrName: string, eq: string, dq?: string, sq?: string, bare?: string) => {
          const lower = attrName.toLowerCase();
          if (!URL_ATTRIBUTES.has(lower)) return attr;
          const value = dq ?? sq ?? bare ?? '';
          const mapped =
            lower === 'srcset'
              ? value
                  .split(',')
                  .map((candidate) => candidate.replace(/^(\s*)(\S+)/, (_m: string, ws: string, url: string) => ws + map(url)))
                  .join(',')
              : map(value);
          return `${space}${attrName}${eq}"${mapped.replace(/"/g, '&quot;')}"`;
        },
      );
      return `<${name}${rewritten}${close}>`;
    },
  );
}

/**
 * Post HTML as the page at `from` shows it: every site path in it ('/media/….png',
 * '/2016/06/post.html#c1', which the build wrote when it pointed links at the snapshot) becomes
 * relative to that page (see relativeHref), so the post reads the same under any root. The value
 * is worked on as written: a directory whose name is written with an entity is just not shared,
 * which is longer but still right.
 */
export function relinkHtml(html: string, from: string): string {
  if (!html.includes('/')) return html;
  return mapUrlAttributes(html, (url) => {
    const trimmed = url.trim();
    return isRootRelative(trimmed) ? relativeHref(from, trimmed) : url;
  });
}
