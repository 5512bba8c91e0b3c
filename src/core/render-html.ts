// HTML building blocks for the snapshot's pages: escaping, links and the shared page shell.
// Pages carry no scripts but the service worker's registration, no inline styles and no
// third-party URLs, so a strict CSP holds. Every
// link between pages is relative to the page, so a snapshot reads the same at a domain root, under
// a sub-path and under an IPFS path gateway; only rel=canonical (and feeds) carry absolute URLs.
import { UI, bilingual } from './i18n.ts';
import { hrefOf, relativeHref } from './paths.ts';
import { sha256 } from '@noble/hashes/sha2';
import { toBase64, utf8ToBytes } from './bytes.ts';
import { REGISTER_SCRIPT, SERVICE_WORKER_PATH } from './reader-paths.ts';

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

/** The link from the page at `from` to the snapshot path `to`, relative to the page. */
export function linkFrom(from: string, to: string): string {
  return relativeHref(from, hrefOf(to));
}

/**
 * The canonical URL of a snapshot path: the canonical mirror's base plus the encoded path, a
 * directory index as its directory ('/2016/06/index.html' -> '…/2016/06/'), as edges serve it.
 */
export function canonicalUrlOf(canonical: string, path: string): string {
  return canonical + hrefOf(path.replace(/(^|\/)index\.html$/, '$1')).slice(1);
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
  /** Snapshot path of this page: its links are relative to it, and its canonical link names it. */
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
  /**
   * The page is served at whatever address was asked for (the 404 page, at /a/b/missing as well as
   * at /404.html), so no relative (or root-relative) URL in it can be trusted to resolve: its links
   * go to the canonical mirror, absolute; it loads nothing (no stylesheet, no icon: a request for
   * either would miss or go to another origin) and has no canonical link.
   */
  anyAddress?: boolean;
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

export { OFFLINE_PATH, REGISTER_SCRIPT, SERVICE_WORKER_PATH } from './reader-paths.ts';

/** The CSP source that allows REGISTER_SCRIPT and nothing else. */
export const REGISTER_SCRIPT_SOURCE = `'sha256-${toBase64(sha256(utf8ToBytes(REGISTER_SCRIPT)))}'`;

/**
 * No script but the registration (by its hash: no other inline script, no script file, no eval),
 * a service worker only from this origin, nothing from another origin. (frame-ancestors only
 * works as a header.)
 */
export const PAGE_CSP = `default-src 'self'; script-src ${REGISTER_SCRIPT_SOURCE}; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; img-src 'self'; style-src 'self'`;

/**
 * The service worker's own policy (sent with sw.js by the edge): it may fetch (the signed mirrors,
 * which it alone chooses), and load or evaluate no code.
 */
export const WORKER_CSP = "default-src 'none'; connect-src *";

/** The full document around a page's main content. */

export function renderShell(input: ShellInput): string {
  const { path, title, siteTitle, lang, canonical, main, headLinks = '', anyAddress = false } = input;
  const e = escapeHtml;
  const link = (to: string): string => e(anyAddress ? canonicalUrlOf(canonical, to) : linkFrom(path, to));
  const feeds = FEEDS.map(
    (f) => `<link rel="alternate" type="${f.type}" href="${link(f.path)}" title="${e(`${siteTitle} (${f.name})`)}">\n`,
  ).join('');
  const nav = NAV.map((n) => `<li><a href="${link(n.path)}">${e(bilingual(n.text))}</a></li>`).join('');
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
    (anyAddress ? '' : `<link rel="canonical" href="${e(canonicalUrlOf(canonical, path))}">\n`) +
    feeds +
    headLinks +
    (anyAddress
      ? ''
      : `<link rel="icon" type="image/svg+xml" href="${link('/favicon.svg')}">\n` +
        `<link rel="stylesheet" href="${link('/style.css')}">\n` +
        `<script data-sw="${link(SERVICE_WORKER_PATH)}">${REGISTER_SCRIPT}</script>\n`) +
    `</head>\n` +
    `<body>\n` +
    `<header class="site-header">\n` +
    `<a class="site-title" href="${link('/index.html')}">${e(siteTitle)}</a>\n` +
    `<nav class="site-nav"><ul>${nav}</ul></nav>\n` +
    `</header>\n` +
    `<main>\n${main}</main>\n` +
    `<footer class="site-footer">\n` +
    `<p><a href="${link('/mirrors.html')}">${e(UI.footerMirrors.zh)}</a> · <a href="${link('/mirrors.html')}" lang="en">${e(UI.footerMirrors.en)}</a></p>\n` +
    `</footer>\n` +
    `</body>\n` +
    `</html>\n`
  );
}
