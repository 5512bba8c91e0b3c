// Every way in, for a reader whose address stopped working: the canonical address with its QR code
// (inline SVG: nothing is loaded), every public mirror, the onion address, the IPFS address through
// each public gateway, and the feeds. Chinese first in every line. Pure: the same input gives the
// same HTML, for mirrors.html in the build and for the edge's 503 page.
import { renderSVG } from 'uqr';
import { UI, bilingual, type Bilingual } from './i18n.ts';
import type { MirrorRef } from './model.ts';
import { FEEDS, canonicalUrlOf, escapeHtml as e, isWebUrl, linkFrom } from './render-html.ts';

export interface WaysIn {
  /** Canonical mirror base URL ending with '/'. */
  canonical: string;
  /** Public mirrors (sorted here by priority, then id). */
  mirrors: readonly MirrorRef[];
  ipfsCid?: string | undefined;
  /** Public IPFS path gateways: each links the CID. */
  ipfsGateways?: readonly string[] | undefined;
  /** The blog's onion address, for Tor Browser. */
  onion?: string | undefined;
}

/**
 * What a mirror list says besides the mirrors: the first onion mirror's address and every
 * ipfs-gateway mirror's gateway.
 */
export function waysInOf(mirrors: readonly MirrorRef[]): { onion?: string; ipfsGateways: string[] } {
  const onion = mirrors.find((m) => m.kind === 'http' && ONION_URL.test(m.url))?.url;
  const ipfsGateways = [...new Set(mirrors.filter((m) => m.kind === 'ipfs-gateway').map((m) => m.url))];
  return onion === undefined ? { ipfsGateways } : { onion, ipfsGateways };
}

const ONION_URL = /^https?:\/\/([a-z0-9-]+\.)*[a-z2-7]{16,56}\.onion(\/|$)/i;

/**
 * The sections after a page's heading and introduction. `from`: the page's snapshot path, for feed
 * links relative to it; without it (a page shown at any address) they are absolute, on the canonical.
 */
export function waysInHtml(ways: WaysIn, from?: string): string {
  const { canonical, ipfsCid, onion } = ways;
  // Without a stylesheet (a page shown at any address), long addresses get places to wrap.
  const show = from === undefined ? breakable : e;
  const items = sortMirrors(ways.mirrors).map((m) => {
    const address = isWebUrl(m.url) ? `<a href="${e(m.url)}" rel="noreferrer">${show(m.url)}</a>` : `<code>${show(m.url)}</code>`;
    const isCanonical = withSlash(m.url) === canonical;
    return `<li><strong>${e(m.id)}</strong> <span class="meta">(${e(m.kind)})${isCanonical ? ` · ${e(bilingual(UI.canonicalAddress))}` : ''}</span><br>${address}</li>\n`;
  });
  let html =
    `<h2>${e(bilingual(UI.canonicalAddress))}</h2>\n` +
    `<p><a href="${e(canonical)}" rel="noreferrer">${show(canonical)}</a></p>\n` +
    `<figure class="qr" role="img" aria-label="${e(`QR: ${canonical}`)}">${qrSvg(canonical)}<figcaption>${e(bilingual(UI.qrHelp))}</figcaption></figure>\n` +
    `<h2>${e(bilingual(UI.mirrors))}</h2>\n` +
    (items.length === 0 ? para(UI.noMirrors) : `<ul class="mirror-list">\n${items.join('')}</ul>\n`);
  if (onion !== undefined) {
    html += `<h2>${e(bilingual(UI.onion))}</h2>\n<p><code>${show(onion)}</code></p>\n` + para(UI.onionHelp);
  }
  if (ipfsCid !== undefined) {
    const gateways = (ways.ipfsGateways ?? []).filter(isWebUrl).map((g) => {
      const url = `${withSlash(g)}ipfs/${ipfsCid}/`;
      return `<li><a href="${e(url)}" rel="noreferrer">${show(url)}</a></li>\n`;
    });
    html +=
      `<h2>${e(bilingual(UI.ipfs))}</h2>\n` +
      `<ul>\n<li><code>${show(`ipfs://${ipfsCid}`)}</code></li>\n<li><code>${show(`/ipfs/${ipfsCid}/`)}</code></li>\n${gateways.join('')}</ul>\n` +
      para(UI.ipfsHelp);
  }
  html +=
    `<h2>${e(bilingual(UI.feeds))}</h2>\n<ul>\n` +
    // The link reads the feed on this mirror; the address to subscribe to is the canonical one.
    FEEDS.map((f) => {
      const href = from === undefined ? e(canonicalUrlOf(canonical, f.path)) : linkFrom(from, f.path);
      return `<li><a href="${href}" type="${f.type}">${e(f.name)}</a> <code>${show(canonicalUrlOf(canonical, f.path))}</code></li>\n`;
    }).join('') +
    `</ul>\n`;
  return html;
}

export function sortMirrors(mirrors: readonly MirrorRef[]): MirrorRef[] {
  return [...mirrors].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The same sentence in both languages, each marked with its lang (for fonts and screen readers). */
export function para(text: Bilingual): string {
  return `<p lang="zh-Hans">${e(text.zh)}</p>\n<p lang="en">${e(text.en)}</p>\n`;
}

/**
 * Escaped text that may wrap after each '/' and every 16 characters: the 503 and offline pages
 * load no stylesheet (they are shown at any address), and a long address or CID would widen a
 * phone's page. <wbr> adds nothing to the text a reader copies.
 */
export function breakable(text: string): string {
  return (text.match(/[^/]{1,16}\/?|\//g) ?? []).map(e).join('<wbr>');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The QR code of an address as inline SVG (uqr; pure, no script, nothing fetched). */
function qrSvg(text: string): string {
  return renderSVG(text, { border: 2, ecc: 'M' }).replace('<svg ', '<svg width="180" height="180" aria-hidden="true" ');
}
