// The allow-list sanitizer for post HTML, and the URL rewriting pass over its output. Pure.
//
// Both passes run sanitize-html (htmlparser2) with the same allow-list, so rewriting can never
// re-introduce what sanitizing took out. Reporting is separate from enforcement: `onOpenTag` sees
// every tag as written (even inside removed subtrees) and only records reasons; the per-tag
// transforms and the allow-list decide what is kept.
import sanitizeHtml from 'sanitize-html';
import type { Attributes, IFrame, IOptions, Tag, Transformer } from 'sanitize-html';

export interface SanitizeResult {
  /** Sanitized HTML. */
  html: string;
  /** Distinct, sorted, human-readable reasons for active content removed (e.g. "<script> element"). */
  removed: string[];
  /** Absolute URLs of every kept <img src> and of every kept <a href> to an image file, in
   * document order, deduplicated. */
  images: string[];
}

export type UrlDecision =
  | { action: 'keep' }
  | { action: 'replace'; url: string }
  /** Link: unwrap (keep its text, drop <a>). Image: drop the <img>. */
  | { action: 'remove' }
  /** Image only: replace <img> with <a href="ORIGINAL">ALT or 'image'</a>. */
  | { action: 'link' };

const ALLOWED_TAGS = [
  'p',
  'br',
  'hr',
  'a',
  'img',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'pre',
  'code',
  'em',
  'strong',
  'b',
  'i',
  'u',
  's',
  'sub',
  'sup',
  'small',
  'span',
  'div',
  'figure',
  'figcaption',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'th',
  'td',
  'caption',
  'dl',
  'dt',
  'dd',
  'abbr',
  'cite',
  'q',
  'time',
  'mark',
  'del',
  'ins',
];

// `rel` and `loading` are never taken from the input: the transforms below always set them.
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title', 'rel'],
  img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan'],
  time: ['datetime'],
  abbr: ['title'],
  q: ['cite'],
  blockquote: ['cite'],
};

/** Elements removed together with everything inside them. */
const REMOVED_WITH_CONTENT = [
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'applet',
  'form',
  'noscript',
  'template',
  'svg',
  'math',
  'meta',
  'base',
  'link',
  'frame',
  'frameset',
  // Form controls (outside a form too), and elements whose content is not reading text.
  'input',
  'button',
  'select',
  'option',
  'textarea',
  'xmp',
  'noembed',
  'noframes',
  'title',
];

/** Removed elements that are active or navigational, and so are reported. */
const REPORTED_ELEMENTS = new Set([
  'script',
  'iframe',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'select',
  'textarea',
  'meta',
  'base',
  'link',
  'svg',
  'math',
  'frame',
  'frameset',
]);

/** Attributes that hold a URL on some element (after sanitize-html's list). */
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'cite',
  'action',
  'formaction',
  'data',
  'xlink:href',
  'poster',
  'background',
  'ping',
  'longdesc',
  'usemap',
  'codebase',
  'classid',
  'archive',
  'profile',
  'manifest',
  'itemid',
  'dynsrc',
  'lowsrc',
]);

const WEB_SCHEMES: readonly string[] = ['http', 'https'];
const LINK_SCHEMES: readonly string[] = ['http', 'https', 'mailto'];
/** Schemes that are not kept but carry nothing active: removed without being reported, so an old
 * post with a phone or FTP link is not held back for approval. */
const INERT_SCHEMES = new Set(['http', 'https', 'mailto', 'tel', 'sms', 'ftp', 'news', 'nntp']);

const STYLE_THREATS = ['expression(', 'url(', 'javascript:', 'vbscript:', 'behavior:', '-moz-binding', '@import'];
const IMAGE_PATH = /\.(?:png|jpe?g|gif|webp|avif)$/i;
const REL = 'noopener noreferrer';

type ParsedUrl = { scheme: string; href: string; pathname: string };

/**
 * Parse a URL attribute the way a browser would: the HTML parser has decoded entities already, and
 * the WHATWG URL parser (the one browsers use) strips leading/trailing C0 controls and spaces and
 * drops tabs and newlines anywhere, so "java\tscript:" is "javascript:". The same clean-up is done
 * here first only to recognise protocol-relative URLs (" /\t/host"), which get https. Undefined
 * when empty or unparseable (neither can be followed).
 */
function parseUrl(raw: string, baseUrl: string): ParsedUrl | undefined {
  const cleaned = raw.replace(/[\t\n\r]/g, '').replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  if (cleaned === '') return undefined;
  try {
    const url = new URL(cleaned, /^[\\/]{2}/.test(cleaned) ? 'https://protocol-relative.invalid/' : baseUrl);
    return { scheme: url.protocol.slice(0, -1), href: url.href, pathname: url.pathname };
  } catch {
    return undefined;
  }
}

function isAbsoluteWebUrl(url: string): boolean {
  try {
    return WEB_SCHEMES.includes(new URL(url).protocol.slice(0, -1));
  } catch {
    return false;
  }
}

/** CSS comments removed in one linear pass (a lazy regex is quadratic on many unclosed "/*"). */
function stripCssComments(css: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const open = css.indexOf('/*', at);
    if (open < 0) return out + css.slice(at);
    out += css.slice(at, open);
    const close = css.indexOf('*/', open + 2);
    if (close < 0) return out;
    at = close + 2;
  }
}

function normalizeCss(css: string): string {
  return stripCssComments(css)
    .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_, hex: string) => String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff) || 0xfffd))
    .replace(/\\([\s\S])/g, '$1')
    .replace(/\s+/g, '')
    .toLowerCase();
}

function isActiveStyle(css: string): boolean {
  const flat = normalizeCss(css);
  return STYLE_THREATS.some((threat) => flat.includes(threat));
}

/**
 * What a transform wants taken out. A transform returns `drop` (element and content go) or
 * `unwrap` (the tag goes, its content stays); sanitize-html keeps the returned attribs object as the
 * frame's attribs, so exclusiveFilter recognises it. (Renaming the tag to a disallowed one instead
 * is not safe to rely on: sanitize-html 2.17 then writes that name as the closing tag of a later
 * sibling, e.g. "<p><i>1</i><b>2</b></p>" gives "<p>1<b>2</zzz></p>".)
 */
interface Marks {
  drop(tagName: string): Tag;
  unwrap(tagName: string): Tag;
  filter(frame: IFrame): boolean | 'excludeTag';
}

function createMarks(): Marks {
  const dropped = new WeakSet<Attributes>();
  const unwrapped = new WeakSet<Attributes>();
  const mark = (set: WeakSet<Attributes>, tagName: string): Tag => {
    const attribs: Attributes = {};
    set.add(attribs);
    return { tagName, attribs };
  };
  return {
    drop: (tagName) => mark(dropped, tagName),
    unwrap: (tagName) => mark(unwrapped, tagName),
    filter: (frame) => {
      if (dropped.has(frame.attribs)) return true;
      // A link with no href left (whatever removed it) carries nothing: keep only its content.
      if (unwrapped.has(frame.attribs) || (frame.tag === 'a' && frame.attribs.href === undefined)) return 'excludeTag';
      return false;
    },
  };
}

interface AllowListHooks {
  transformTags: Record<string, Transformer>;
  marks: Marks;
  onOpenTag?: (name: string, attribs: Attributes) => void;
  onCloseTag?: (name: string) => void;
}

/** The allow-list pass shared by sanitizePostHtml and rewriteUrls. */
function applyAllowList(html: string, hooks: AllowListHooks): string {
  const options: IOptions = {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedClasses: {},
    allowedSchemes: [...WEB_SCHEMES],
    allowedSchemesByTag: { a: [...LINK_SCHEMES] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: REMOVED_WITH_CONTENT,
    selfClosing: ['img', 'br', 'hr'],
    parseStyleAttributes: false,
    enforceHtmlBoundary: false,
    transformTags: { h1: () => ({ tagName: 'h2', attribs: {} }), ...hooks.transformTags },
    exclusiveFilter: (frame) => hooks.marks.filter(frame),
  };
  if (hooks.onOpenTag !== undefined) options.onOpenTag = hooks.onOpenTag;
  const onCloseTag = hooks.onCloseTag;
  if (onCloseTag !== undefined) options.onCloseTag = (name) => onCloseTag(name);
  return sanitizeHtml(html, options);
}

function copyAttribute(from: Attributes, to: Attributes, name: string): void {
  const value = from[name];
  if (value !== undefined) to[name] = value;
}

/**
 * Sanitize one post's HTML with an allow-list. Relative URLs are resolved against baseUrl (the
 * page the post came from); anything active is removed and named in `removed`.
 */
export function sanitizePostHtml(html: string, opts: { baseUrl: string }): SanitizeResult {
  const { baseUrl } = opts;
  if (!isAbsoluteWebUrl(baseUrl)) {
    throw new Error(`sanitizePostHtml: baseUrl ${JSON.stringify(baseUrl)} is not an absolute http(s) URL`);
  }
  const removed = new Set<string>();
  const images = new Set<string>();

  const resolve = (raw: string | undefined, schemes: readonly string[]): ParsedUrl | undefined => {
    if (raw === undefined) return undefined;
    const url = parseUrl(raw, baseUrl);
    return url !== undefined && schemes.includes(url.scheme) ? url : undefined;
  };

  const report = (name: string, attribs: Attributes): void => {
    if (REPORTED_ELEMENTS.has(name)) {
      removed.add(name === 'meta' && attribs['http-equiv'] !== undefined ? '<meta http-equiv> element' : `<${name}> element`);
    }
    for (const [attr, value] of Object.entries(attribs)) {
      if (attr.startsWith('on')) {
        removed.add(/^on[a-z]+$/.test(attr) ? `${attr} attribute` : 'event handler attribute');
      } else if (attr === 'style') {
        if (isActiveStyle(value)) removed.add('style expression');
      } else if (URL_ATTRIBUTES.has(attr)) {
        const url = parseUrl(value, baseUrl);
        if (url !== undefined && !INERT_SCHEMES.has(url.scheme)) removed.add(`${url.scheme}: URL`);
      }
    }
  };

  const marks = createMarks();

  const link = (_: string, attribs: Attributes): Tag => {
    const href = resolve(attribs.href, LINK_SCHEMES);
    if (href === undefined) return marks.unwrap('a');
    const out: Attributes = { href: href.href };
    copyAttribute(attribs, out, 'title');
    out.rel = REL;
    if (href.scheme !== 'mailto' && IMAGE_PATH.test(href.pathname)) images.add(href.href);
    return { tagName: 'a', attribs: out };
  };

  const image = (_: string, attribs: Attributes): Tag => {
    const src = resolve(attribs.src, WEB_SCHEMES);
    if (src === undefined) return marks.drop('img');
    const out: Attributes = { src: src.href };
    for (const name of ['alt', 'title', 'width', 'height']) copyAttribute(attribs, out, name);
    out.loading = 'lazy';
    images.add(src.href);
    return { tagName: 'img', attribs: out };
  };

  const quote = (tagName: string, attribs: Attributes): Tag => {
    const cite = resolve(attribs.cite, WEB_SCHEMES);
    return { tagName, attribs: cite === undefined ? {} : { cite: cite.href } };
  };

  const clean = applyAllowList(html, {
    transformTags: { a: link, img: image, blockquote: quote, q: quote },
    marks,
    onOpenTag: report,
  });
  return { html: clean, removed: [...removed].sort(), images: [...images] };
}

/**
 * A URL rewriteUrls may write: absolute http(s) or mailto, or a path on this site ("/x", never
 * "//host" or "/\host"). No whitespace or control characters, which browsers would strip.
 */
function isWritableUrl(url: string): boolean {
  if (url === '' || /[\x00-\x20\x7f]/.test(url)) return false;
  if (url.startsWith('/')) return !/^[/\\]{2}/.test(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || !LINK_SCHEMES.includes(scheme)) return false;
  try {
    return new URL(url).protocol === `${scheme}:`;
  } catch {
    return false;
  }
}

function refuse(url: string, kind: 'link' | 'image', original: string): never {
  throw new Error(
    `rewriteUrls: refusing replacement URL ${JSON.stringify(url)} for ${kind} ${JSON.stringify(original)}: ` +
      'only http(s), mailto or a path starting with "/" may be written',
  );
}

/**
 * Apply a decision to every a[href] and img[src] of sanitized HTML. The HTML goes through the same
 * allow-list again, so nothing unsafe comes back; a replacement that is not http(s), mailto or a
 * site path throws.
 */
export function rewriteUrls(html: string, decide: (url: string, kind: 'link' | 'image') => UrlDecision): string {
  const marks = createMarks();
  // One entry per open <a>: whether it is kept as a link. An image turned into a link inside a
  // kept link becomes plain text instead, so links never nest.
  const anchors: boolean[] = [];

  const link = (_: string, attribs: Attributes): Tag => {
    const href = attribs.href;
    if (href === undefined || !isWritableUrl(href)) return marks.unwrap('a');
    const decision = decide(href, 'link');
    let target: string;
    switch (decision.action) {
      case 'keep':
        target = href;
        break;
      case 'replace':
        if (!isWritableUrl(decision.url)) refuse(decision.url, 'link', href);
        target = decision.url;
        break;
      case 'remove':
        return marks.unwrap('a');
      case 'link':
        throw new Error(`rewriteUrls: decision 'link' is for images only (link ${JSON.stringify(href)})`);
    }
    const out: Attributes = { href: target };
    copyAttribute(attribs, out, 'title');
    out.rel = REL;
    anchors[anchors.length - 1] = true;
    return { tagName: 'a', attribs: out };
  };

  const image = (_: string, attribs: Attributes): Tag => {
    const src = attribs.src;
    if (src === undefined || !isWritableUrl(src)) return marks.drop('img');
    const decision = decide(src, 'image');
    let target: string;
    switch (decision.action) {
      case 'keep':
        target = src;
        break;
      case 'replace':
        if (!isWritableUrl(decision.url)) refuse(decision.url, 'image', src);
        target = decision.url;
        break;
      case 'remove':
        return marks.drop('img');
      case 'link': {
        const alt = attribs.alt?.trim();
        const text = alt === undefined || alt === '' ? 'image' : alt;
        if (anchors.includes(true)) return { tagName: 'span', attribs: {}, text };
        return { tagName: 'a', attribs: { href: src, rel: REL }, text };
      }
    }
    const out: Attributes = { src: target };
    for (const name of ['alt', 'title', 'width', 'height']) copyAttribute(attribs, out, name);
    out.loading = 'lazy';
    return { tagName: 'img', attribs: out };
  };

  const quote = (tagName: string, attribs: Attributes): Tag => {
    const cite = attribs.cite;
    const ok = cite !== undefined && isWritableUrl(cite) && !cite.toLowerCase().startsWith('mailto:');
    return { tagName, attribs: ok ? { cite } : {} };
  };

  return applyAllowList(html, {
    transformTags: { a: link, img: image, blockquote: quote, q: quote },
    marks,
    onOpenTag: (name) => {
      if (name === 'a') anchors.push(false);
    },
    onCloseTag: (name) => {
      if (name === 'a') anchors.pop();
    },
  });
}
