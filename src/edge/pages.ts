// Ferry's own pages, in Chinese and English: no mirror could deliver (503) and not found (404).
// No scripts, no third-party resources; they pass the CSP the edge sends.
import type { Manifest } from '../core/manifest.ts';
import { waysInHtml, waysInOf } from '../core/ways-in.ts';

/**
 * The 503 page. With the accepted manifest, it lists every way in the signed state names (its
 * canonical with a QR code, its mirrors, their onion address and IPFS gateways, the feeds), with
 * absolute links: it is shown at any address.
 */
export function unavailablePage(manifest?: Pick<Manifest, 'canonical' | 'mirrors'>): string {
  if (manifest === undefined) return pageWith('');
  // Every reader gets this page while no mirror delivers: it is made (QR code and all) once per manifest.
  let page = madeFor.get(manifest);
  if (page === undefined) {
    const ways = /^https?:\/\//i.test(manifest.canonical)
      ? waysInHtml({ canonical: manifest.canonical, mirrors: manifest.mirrors, ...waysInOf(manifest.mirrors) })
      : '';
    page = pageWith(ways);
    madeFor.set(manifest, page);
  }
  return page;
}

const madeFor = new WeakMap<object, string>();

function pageWith(ways: string): string {
  return `<!doctype html>
<html lang="zh">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>暂时无法访问 · Temporarily unavailable</title><meta name="robots" content="noindex"></head>
<body>
<h1>暂时无法访问</h1>
<p>此刻没有任何镜像能提供经过签名验证的页面。为了您的安全，我们不会显示未经验证的内容。请稍后再试，或访问其他镜像：<a href="/mirrors.html">镜像列表</a>。</p>
<h1 lang="en">Temporarily unavailable</h1>
<p lang="en">No mirror can deliver a copy of this page that matches the signed snapshot right now. To keep you safe, unverified content is never shown. Please try again later, or use another mirror: <a href="/mirrors.html">list of mirrors</a>.</p>
${ways}</body>
</html>
`;
}

export function notFoundPage(): string {
  return `<!doctype html>
<html lang="zh">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>找不到页面 · Not found</title><meta name="robots" content="noindex"></head>
<body>
<h1>找不到页面</h1>
<p>这个地址不在已签名的网站快照中。<a href="/">返回首页</a></p>
<h1 lang="en">Not found</h1>
<p lang="en">This address is not part of the signed snapshot of the site. <a href="/">Go to the home page</a></p>
</body>
</html>
`;
}
