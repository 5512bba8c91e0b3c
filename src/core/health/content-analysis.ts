// What changed in an HTML page that failed verification: the shapes planted code takes (scripts,
// iframes and objects from hosts not on the allow-list, hidden iframes, obfuscation in scripts,
// meta-refresh and script redirects to other hosts). Only markup and script are read, never the
// words of the page: this blog writes about hacking, censorship and `eval`, and words alone never
// make a verdict. Pure.

import { REGISTER_SCRIPT } from '../reader-paths.ts';

export type ContentCode =
  | 'content-foreign-script'
  | 'content-foreign-frame'
  | 'content-foreign-object'
  | 'content-hidden-iframe'
  | 'content-obfuscation'
  | 'content-meta-redirect'
  | 'content-script-redirect'
  | 'content-inline-script';

export interface ContentFinding {
  code: ContentCode;
  message: string;
  /** The host the markup points at, when it points at one. */
  host?: string;
}

export interface ContentAnalysisOptions {
  /** The page's own URL: its host (and relative URLs) are always allowed. */
  pageUrl: string;
  /** Hosts pages may load from besides their own (exact, or '.example.org' for a domain and its subdomains). */
  allowHosts?: readonly string[];
}

const OBFUSCATION: readonly { pattern: RegExp; name: string }[] = [
  { pattern: /\beval\s*\(/, name: 'eval(' },
  { pattern: /\batob\s*\(/, name: 'atob(' },
  { pattern: /\bunescape\s*\(/, name: 'unescape(' },
  { pattern: /\bfromCharCode\s*\(/, name: 'fromCharCode(' },
  { pattern: /\bnew\s+Function\s*\(/, name: 'new Function(' },
  { pattern: /\bdocument\.write\s*\(/, name: 'document.write(' },
  { pattern: /(?:\\x[0-9a-f]{2}){8,}/i, name: 'long \\x escapes' },
];

const REDIRECT_IN_SCRIPT =
  /\b(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*["'`]([^"'`]+)["'`]|\blocation\.(?:replace|assign)\s*\(\s*["'`]([^"'`]+)["'`]/g;

/** Attributes of one start tag (names lower-cased, entities in values left as they are). */
export function parseAttributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const body = tag.replace(/^<\s*[a-zA-Z0-9-]+/, '').replace(/\/?>$/, '');
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of body.matchAll(re)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!attrs.has(name)) attrs.set(name, m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The host a URL in the page points at, when it points off the page's origin; undefined if relative or same host. */
function foreignHost(raw: string, page: URL, allow: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim(), page.href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return url.protocol === 'data:' || url.protocol === 'javascript:' ? url.protocol : undefined;
  const host = url.hostname.toLowerCase();
  if (host === page.hostname.toLowerCase()) return undefined;
  if (isAllowedHost(host, allow)) return undefined;
  return host;
}

export function isAllowedHost(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allow.some((a) => {
    const x = a.toLowerCase();
    return x.startsWith('.') ? h === x.slice(1) || h.endsWith(x) : h === x;
  });
}

/** Markup with comments and the text of <textarea>, <pre>/<code> left out: only live markup is judged. */
function liveMarkup(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(textarea|xmp)\b[\s\S]*?<\/\1\s*>/gi, '');
}

function isHidden(attrs: ReadonlyMap<string, string>): boolean {
  const style = (attrs.get('style') ?? '').toLowerCase().replace(/\s+/g, '');
  const tiny = (v: string | undefined): boolean => v !== undefined && /^0*[01](?:px)?$/.test(v.trim());
  return (
    attrs.has('hidden') ||
    style.includes('display:none') ||
    style.includes('visibility:hidden') ||
    /(?:^|;)(?:width|height):0*[01](?:px)?(?:;|$)/.test(style) ||
    tiny(attrs.get('width')) ||
    tiny(attrs.get('height'))
  );
}

/** What in the page looks planted. An empty list means nothing in its markup or scripts does. */
export function analyzeHtml(html: string, { pageUrl, allowHosts = [] }: ContentAnalysisOptions): ContentFinding[] {
  const page = new URL(pageUrl);
  const markup = liveMarkup(html);
  const findings: ContentFinding[] = [];
  const seen = new Set<string>();
  const add = (f: ContentFinding): void => {
    const key = `${f.code}|${f.host ?? ''}|${f.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };

  for (const m of markup.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script\s*>/gi)) {
    const open = /^<script\b[^>]*>/i.exec(m[0])?.[0] ?? '<script>';
    const attrs = parseAttributes(open);
    const src = attrs.get('src');
    if (src !== undefined) {
      const host = foreignHost(src, page, allowHosts);
      if (host !== undefined)
        add({ code: 'content-foreign-script', message: `a script loads from ${host}, which is not on the allow-list`, host });
    }
    const type = (attrs.get('type') ?? '').toLowerCase();
    const isData = type === 'application/ld+json' || type === 'application/json' || type === 'importmap';
    const code = m[1] ?? '';
    // The snapshot's own script (every page registers the readers' service worker) is not planted.
    if (isData || code.trim() === '' || (code === REGISTER_SCRIPT && src === undefined)) continue;
    add({ code: 'content-inline-script', message: 'the page runs an inline script' });
    for (const o of OBFUSCATION) {
      if (o.pattern.test(code))
        add({ code: 'content-obfuscation', message: `an inline script uses ${o.name}, common in obfuscated planted code` });
    }
    for (const r of code.matchAll(REDIRECT_IN_SCRIPT)) {
      const host = foreignHost(r[1] ?? r[2] ?? '', page, allowHosts);
      if (host !== undefined) add({ code: 'content-script-redirect', message: `a script sends readers to ${host}`, host });
    }
  }

  for (const m of markup.matchAll(/<(iframe|frame|object|embed|meta)\b[^>]*>/gi)) {
    const tag = (m[1] ?? '').toLowerCase();
    const attrs = parseAttributes(m[0]);
    if (tag === 'meta') {
      if ((attrs.get('http-equiv') ?? '').toLowerCase() !== 'refresh') continue;
      const target = /url\s*=\s*['"]?([^'";]+)/i.exec(attrs.get('content') ?? '')?.[1];
      const host = target === undefined ? undefined : foreignHost(target, page, allowHosts);
      if (host !== undefined) add({ code: 'content-meta-redirect', message: `a meta refresh sends readers to ${host}`, host });
      continue;
    }
    const src = attrs.get('src') ?? attrs.get('data');
    const host = src === undefined ? undefined : foreignHost(src, page, allowHosts);
    if (tag === 'iframe' || tag === 'frame') {
      if (isHidden(attrs))
        add({
          code: 'content-hidden-iframe',
          message: `a hidden iframe${host === undefined ? '' : ` loads ${host}`}`,
          ...(host === undefined ? {} : { host }),
        });
      else if (host !== undefined)
        add({ code: 'content-foreign-frame', message: `an iframe loads ${host}, which is not on the allow-list`, host });
    } else if (host !== undefined) {
      add({ code: 'content-foreign-object', message: `an ${tag} loads ${host}, which is not on the allow-list`, host });
    }
  }
  return findings;
}

/** The <title> of a page, whitespace collapsed ('' when it has none). */
export function titleOf(html: string): string {
  const m = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  return (m?.[1] ?? '').replace(/\s+/g, ' ').trim();
}
