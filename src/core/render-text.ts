// Text helpers for rendering: calendar dates in a timestamp's own offset, and plain-text excerpts
// of sanitized HTML. Pure and locale-free, so every machine renders the same bytes.

export interface LocalDate {
  year: string;
  month: string;
  day: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The calendar date an RFC 3339 timestamp names in its own offset:
 * '2016-06-08T21:03:00-07:00' is 2016-06-08 (it is already June 9 in UTC).
 * Undefined when the text is not RFC 3339.
 */
export function toLocalDate(timestamp: string): LocalDate | undefined {
  const m = RFC3339.exec(timestamp);
  if (!m) return undefined;
  const [, year = '', month = '', day = ''] = m;
  const mm = Number(month);
  const dd = Number(day);
  if (mm < 1 || mm > 12 || dd < 1 || dd > daysInMonth(Number(year), mm)) return undefined;
  return { year, month, day };
}

/** '2016-06-08' */
export function formatLocalDate(date: LocalDate): string {
  return `${date.year}-${date.month}-${date.day}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---- excerpts -------------------------------------------------------------------------

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  middot: '·',
  copy: '©',
  reg: '®',
};

/** Decode the character references sanitized HTML contains; unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

// Elements whose content is never reader-visible text.
const HIDDEN_CONTENT = /<(script|style|template|noscript|iframe|object|svg|math)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;

/** The visible text of an HTML fragment, whitespace collapsed. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(HIDDEN_CONTENT, ' ')
    .replace(/<\/?[a-zA-Z][^>]*>/g, (tag) => (INLINE_TAG.test(tag) ? '' : ' '));
  return decodeEntities(text)
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

// Inline tags join text without a space ("<b>自</b>由" is one word); block tags separate words.
const INLINE_TAG = /^<\/?(a|abbr|b|bdi|bdo|cite|code|data|dfn|em|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var)\b/i;

// East Asian wide characters: they carry about twice the meaning of a Latin letter per character,
// and Chinese text has no spaces to break at.
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

/**
 * A plain-text excerpt of at most `budget` width units: a wide (CJK) character counts 2, anything
 * else 1, so about 200 Latin characters or 100 Chinese ones. Latin text is cut at a space when one
 * is near; code points are never split. Ends with '…' when cut.
 */
export function excerptOf(html: string, budget = 200): string {
  const text = htmlToText(html);
  const chars = Array.from(text);
  let width = 0;
  let cut = -1;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    width += WIDE.test(c) ? 2 : 1;
    if (width > budget) {
      cut = i;
      break;
    }
  }
  if (cut < 0) return text;
  let end = cut;
  const prev = chars[cut - 1] ?? '';
  if (!WIDE.test(prev)) {
    // Back up to the last space, unless that loses more than a fifth of the excerpt.
    const space = chars.lastIndexOf(' ', cut);
    if (space > 0 && space >= cut - Math.floor(cut / 5)) end = space;
  }
  return `${chars.slice(0, end).join('').trimEnd()}…`;
}
