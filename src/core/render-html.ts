// HTML building blocks for the snapshot's pages: escaping, links and the shared page shell.
// Pages carry no scripts, no inline styles and no third-party URLs, so a strict CSP holds.
import { UI, bilingual } from './i18n.ts';

/** Escape text for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A snapshot path as a root-relative href: each segment percent-encoded ('/labels/人权.html' ->
 * '/labels/%E4%BA%BA%E6%9D%83.html'). ASCII slugs are unchanged. */
export function hrefOf(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** An http(s) URL without whitespace or quotes: the only kind of outside URL a page links to. */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s"'<>\\]+$/i.test(url);
}

/** A plausible BCP 47 tag ('zh', 'zh-Hans-CN', 'en'); anything else is not used as lang. */
export function isLanguageTag(tag: string): boolean {
  return /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(tag);
}

export interface ShellInput {
  /** Snapshot path of this page, for the canonical link. */
  path: string;
  /** Document title (text; escaped here). */
  title: string;
  siteTitle: string;
  lang: string;
  canonical: string;
  /** Page body (HTML). */
  main: string;
  /** Extra <link> elements in <head> (HTML), e.g. rel=prev/next. */
  headLinks?: string;
}

export const FEEDS = [
  { path: '/atom.xml', type: 'application/atom+xml', name: 'Atom' },
  { path: '/rss.xml', type: 'application/rss+xml', name: 'RSS' },
  { path: '/feed.json', type: 'application/feed+json', name: 'JSON Feed' },
] as const;

const NAV = [
  { path: '/index.html', text: UI.home },
  { path: '/archive.html', text: UI.archive },
  { path: '/about.html', text: UI.about },
  { path: '/mirrors.html', text: UI.mirrors },
] as const;

/** The full document around a page's main content. */
/** No script at all, nothing from another origin. (frame-ancestors only works as a header.) */
export const PAGE_CSP =
  "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; img-src 'self'; style-src 'self'";

export function renderShell(input: ShellInput): string {
  const { path, title, siteTitle, lang, canonical, main, headLinks = '' } = input;
  const e = escapeHtml;
  const feeds = FEEDS.map(
    (f) => `<link rel="alternate" type="${f.type}" href="${f.path}" title="${e(`${siteTitle} (${f.name})`)}">\n`,
  ).join('');
  const nav = NAV.map((n) => `<li><a href="${n.path}">${e(bilingual(n.text))}</a></li>`).join('');
  return (
    `<!doctype html>\n` +
    `<html lang="${e(lang)}">\n` +
    `<head>\n` +
    `<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="referrer" content="no-referrer">\n` +
    // The edge sends this policy as a header; the meta copy protects readers who open a mirror
    // (a static host, an IPFS gateway) directly.
    `<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">\n` +
    `<title>${e(title)}</title>\n` +
    `<link rel="canonical" href="${e(canonical + hrefOf(path).slice(1))}">\n` +
    feeds +
    headLinks +
    `<link rel="icon" type="image/svg+xml" href="/favicon.svg">\n` +
    `<link rel="stylesheet" href="/style.css">\n` +
    `</head>\n` +
    `<body>\n` +
    `<header class="site-header">\n` +
    `<a class="site-title" href="/index.html">${e(siteTitle)}</a>\n` +
    `<nav class="site-nav"><ul>${nav}</ul></nav>\n` +
    `</header>\n` +
    `<main>\n${main}</main>\n` +
    `<footer class="site-footer">\n` +
    `<p><a href="/mirrors.html">${e(UI.footerMirrors.zh)}</a> · <a href="/mirrors.html" lang="en">${e(UI.footerMirrors.en)}</a></p>\n` +
    `</footer>\n` +
    `</body>\n` +
    `</html>\n`
  );
}
