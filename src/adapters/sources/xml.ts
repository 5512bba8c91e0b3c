// Shared XML handling for the feed sources: one fast-xml-parser setup, byte decoding, a root
// element sniff, and the few text conversions Atom and RSS need. Entities are decoded here, once,
// by our own code (fast-xml-parser leaves them alone), so HTML inside a feed is never decoded twice.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isRecord } from '../../core/is-record.ts';
import { SourceError } from '../../ports/source.ts';

/** A parsed element: attributes under '@_name', text under '#text', CDATA under '#cdata'. */
export type XmlNode = Record<string, unknown>;

export type FeedKind = 'atom' | 'rss';

/**
 * Elements kept as raw inner markup (fast-xml-parser "stop nodes"): text constructs whose type
 * decides how to read them, and HTML carried inside RSS.
 */
const RAW_ELEMENTS = ['title', 'subtitle', 'content', 'summary', 'description', 'content:encoded'];
const ALWAYS_ARRAY = new Set(['entry', 'item', 'link', 'atom:link', 'category', 'author', 'contributor', 'dc:creator']);

function createParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    cdataPropName: '#cdata',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    stopNodes: RAW_ELEMENTS.map((name) => `*.${name}`),
    isArray: (name) => ALWAYS_ARRAY.has(name),
  });
}

/** Decodes a feed's bytes using the encoding its XML declaration names (UTF-8 by default). */
export function decodeFeedBytes(bytes: Uint8Array, location: string): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256));
  const declared = /^(?:\uFEFF|\xEF\xBB\xBF)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1];
  const label = declared ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new SourceError(location, `the XML declaration names an unknown encoding "${label}"`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new SourceError(location, `the document is not valid ${label} text`);
  }
}

/** The name of the document's first element, skipping the declaration, comments, PIs and DOCTYPE. */
export function sniffRootElement(text: string): string | undefined {
  let rest = text.replace(/^\uFEFF/, '');
  for (let guard = 0; guard < 1000; guard++) {
    rest = rest.trimStart();
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end < 0) return undefined;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) return undefined;
      rest = rest.slice(end + 3);
    } else if (/^<!DOCTYPE/i.test(rest)) {
      const match = /^<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i.exec(rest);
      if (match === null) return undefined;
      rest = rest.slice(match[0].length);
    } else {
      return /^<([A-Za-z_][\w:.-]*)/.exec(rest)?.[1];
    }
  }
  return undefined;
}

/**
 * Checks that `text` is a well-formed Atom or RSS 2.0 document and parses it.
 * Throws SourceError naming `location` and the problem (with line and column for malformed XML).
 */
export function parseFeedXml(text: string, location: string): { kind: FeedKind; root: XmlNode } {
  const rootName = sniffRootElement(text);
  if (rootName === undefined) {
    throw new SourceError(location, 'not an Atom or RSS feed (no XML element found)');
  }
  const kind: FeedKind | undefined = rootName === 'feed' ? 'atom' : rootName === 'rss' ? 'rss' : undefined;
  if (kind === undefined) {
    throw new SourceError(location, `not an Atom or RSS feed (the document is <${rootName}>, expected <feed> or <rss>)`);
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new SourceError(location, `malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  let parsed: unknown;
  try {
    parsed = createParser().parse(text);
  } catch (e) {
    throw new SourceError(location, `malformed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const root = isXmlNode(parsed) ? parsed[rootName] : undefined;
  // An empty root element (<feed/>) parses to '' rather than an object.
  return { kind, root: isXmlNode(root) ? root : {} };
}

export const isXmlNode: (value: unknown) => value is XmlNode = isRecord;

/** The child elements called `name` (always an array; text-only children become strings). */
export function childrenOf(node: XmlNode, name: string): unknown[] {
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** An attribute value, entity-decoded, or undefined. */
export function attrOf(node: unknown, name: string): string | undefined {
  if (!isXmlNode(node)) return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? decodeXmlEntities(value) : undefined;
}

/** The text of a simple element (not a raw one), entity-decoded and trimmed; undefined if absent. */
export function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (first === undefined || first === null) return undefined;
  if (typeof first === 'string') return decodeXmlEntities(first).trim();
  if (!isXmlNode(first)) return undefined;
  const text = first['#text'];
  const cdata = first['#cdata'];
  const parts = [
    typeof text === 'string' ? decodeXmlEntities(text) : '',
    ...(Array.isArray(cdata) ? cdata : [cdata]).map((c) => (typeof c === 'string' ? c : '')),
  ];
  return parts.join('').trim();
}

/** The raw inner markup of a raw element (see RAW_ELEMENTS), exactly as written in the feed. */
export function rawOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof first === 'string') return first;
  if (!isXmlNode(first)) return undefined;
  const text = first['#text'];
  return typeof text === 'string' ? text : '';
}

/** XML character data to text: CDATA sections kept verbatim, entity references decoded once. */
export function xmlToText(raw: string): string {
  let out = '';
  let last = 0;
  for (const match of raw.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)) {
    out += decodeXmlEntities(raw.slice(last, match.index).replace(/<!--[\s\S]*?-->/g, ''));
    out += match[1] ?? '';
    last = match.index + match[0].length;
  }
  return out + decodeXmlEntities(raw.slice(last).replace(/<!--[\s\S]*?-->/g, ''));
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

// The named HTML entities seen in blog titles and descriptions; others are left as written.
const HTML_ENTITIES: Record<string, string> = {
  ...XML_ENTITIES,
  nbsp: '\u00A0',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
  shy: '\u00AD',
  ndash: '\u2013',
  mdash: '\u2014',
  hellip: '\u2026',
  middot: '\u00B7',
  bull: '\u2022',
  lsquo: '\u2018',
  rsquo: '\u2019',
  sbquo: '\u201A',
  ldquo: '\u201C',
  rdquo: '\u201D',
  bdquo: '\u201E',
  laquo: '\u00AB',
  raquo: '\u00BB',
  lsaquo: '\u2039',
  rsaquo: '\u203A',
  copy: '\u00A9',
  reg: '\u00AE',
  trade: '\u2122',
  deg: '\u00B0',
  times: '\u00D7',
  divide: '\u00F7',
  euro: '\u20AC',
  pound: '\u00A3',
  yen: '\u00A5',
  cent: '\u00A2',
  sect: '\u00A7',
  para: '\u00B6',
};

function decodeEntities(text: string, named: Record<string, string>): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const isChar = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return isChar ? String.fromCodePoint(code) : whole;
    }
    return Object.hasOwn(named, ref) ? (named[ref] ?? whole) : whole;
  });
}

/** Decodes the five XML entities and numeric character references; anything else stays as written. */
export function decodeXmlEntities(text: string): string {
  return decodeEntities(text, XML_ENTITIES);
}

/** HTML to one line of plain text: tags and comments removed, entities decoded, whitespace collapsed. */
export function htmlToText(html: string): string {
  const withoutTags = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<\/?(?:br|p|div|li|ul|ol|h[1-6]|blockquote|tr|td|th|table)\b[^>]*>/gi, ' ')
    .replace(/<\/?[A-Za-z][^>]*>/g, '');
  return collapseWhitespace(decodeEntities(withoutTags, HTML_ENTITIES));
}

export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain text to HTML: one <p> per blank-line-separated paragraph, line breaks kept as <br>. */
export function textToHtml(text: string): string {
  return text
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/** Resolves `href` against `base`; undefined when the result is not an absolute http(s) URL. */
export function toAbsoluteUrl(href: string | undefined, base: string | undefined): string | undefined {
  if (href === undefined || href.trim() === '') return undefined;
  try {
    const url = base === undefined ? new URL(href.trim()) : new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True when `value` is an RFC 3339 date-time with real calendar fields, e.g. 2016-06-08T21:03:00.000-07:00. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const zone = m[8] ?? 'Z';
  if (zone.length > 1) {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return false;
  }
  return isCalendarTime(year, month, day, hour, minute, second);
}

export function isCalendarTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}
