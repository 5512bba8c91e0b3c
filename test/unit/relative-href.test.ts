import { describe, expect, it } from 'vitest';
import { LinkError, hrefOf, isRootRelative, relativeHref } from '../../src/core/paths.ts';

// from (a page's snapshot path, decoded), href (a site path as written in a page), expected link.
const CASES: Array<[string, string, string]> = [
  // Depths.
  ['/index.html', '/archive.html', 'archive.html'],
  ['/index.html', '/index.html', 'index.html'],
  ['/index.html', '/style.css', 'style.css'],
  ['/archive.html', '/2016/06/index.html', '2016/06/index.html'],
  ['/page/2.html', '/index.html', '../index.html'],
  ['/page/2.html', '/page/3.html', '3.html'],
  ['/2016/06/a.html', '/2016/06/b.html', 'b.html'],
  ['/2016/06/a.html', '/2016/07/c.html', '../07/c.html'],
  ['/2016/06/a.html', '/2015/12/d.html', '../../2015/12/d.html'],
  ['/2016/06/a.html', '/style.css', '../../style.css'],
  ['/2016/06/a.html', '/media/0123abcd.png', '../../media/0123abcd.png'],
  ['/a/b/c/d.html', '/a/x.html', '../../x.html'],
  ['/a/b.html', '/a/b/c.html', 'b/c.html'],
  // A file named like a directory of the page is not shared.
  ['/a/b/c.html', '/a/b', '../b'],
  // Directory indexes: the same base as the directory URL itself.
  ['/2016/06/index.html', '/archive.html', '../../archive.html'],
  ['/2016/06/index.html', '/2016/06/a.html', 'a.html'],
  ['/2016/06/', '/2016/06/a.html', 'a.html'],
  ['/2016/06/', '/labels/x.html', '../../labels/x.html'],
  ['/', '/archive.html', 'archive.html'],
  // Links to directories.
  ['/2016/06/a.html', '/', '../../'],
  ['/index.html', '/', './'],
  ['/2016/06/a.html', '/2016/06/', './'],
  ['/2016/06/a.html', '/2016/', '../'],
  ['/2016/06/a.html', '/2016/06/?q=1', './?q=1'],
  ['/archive.html', '/2016/06/', '2016/06/'],
  // Chinese and percent-encoded segments: compared decoded, written as given.
  ['/labels/人权.html', '/labels/%E4%BA%BA%E6%9D%83.html', '%E4%BA%BA%E6%9D%83.html'],
  ['/2016/06/a.html', '/labels/%E4%BA%BA%E6%9D%83.html', '../../labels/%E4%BA%BA%E6%9D%83.html'],
  ['/文章/人权观察.html', '/%E6%96%87%E7%AB%A0/b.html', 'b.html'],
  ['/文章/人权观察.html', '/%e6%96%87%e7%ab%a0/b.html', 'b.html'],
  ['/文章/a.html', '/其他/b.html', '../其他/b.html'],
  ['/a b/c.html', '/a%20b/d.html', 'd.html'],
  ['/labels/x.html', '/labels/a%2Fb.html', 'a%2Fb.html'],
  // Not valid percent-encoding: never taken for the page's own directory (which a browser writes as %25).
  ['/a%zz/x.html', '/a%zz/y.html', '../a%zz/y.html'],
  ['/b/x.html', '/a%zz/y.html', '../a%zz/y.html'],
  // Fragments and queries are kept, even with slashes or dots in them.
  ['/2016/06/a.html', '/2016/06/b.html#c1', 'b.html#c1'],
  ['/2016/06/a.html', '/2016/06/a.html#top', 'a.html#top'],
  ['/2016/06/a.html', '/2016/07/b.html?x=1&y=2#f', '../07/b.html?x=1&y=2#f'],
  ['/x/y.html', '/a.html?next=/b/../c', '../a.html?next=/b/../c'],
  ['/x/y.html', '/a.html#/b/c', '../a.html#/b/c'],
  ['/x/y.html', '/?q', '../?q'],
  ['/x/y.html', '/#top', '../#top'],
  // Written so that no scheme, no host and no other page can be read into it.
  ['/index.html', '/a:b.html', './a:b.html'],
  ['/x/y.html', '/a:b.html', '../a:b.html'],
  ['/x/y.html', '/x/a:b/c.html', './a:b/c.html'],
  ['/a/x.html', '/a//b.html', './/b.html'],
  ['/a/c/p.html', '/a//b.html', '..//b.html'],
  // Dot segments are resolved first and never climb above the snapshot's root.
  ['/index.html', '/a/../b.html', 'b.html'],
  ['/x/y.html', '/../../etc/passwd', '../etc/passwd'],
  ['/x/y.html', '/a/%2e%2e/b.html', '../b.html'],
  ['/x/y.html', '/a/.%2E/b.html', '../b.html'],
  ['/x/y.html', '/a/./b.html', '../a/b.html'],
  ['/x/y.html', '/a/..', '../'],
  ['/x/y.html', '/x/\\y.html', './/y.html'],
  // Not root-relative: unchanged.
  ['/x/y.html', 'https://example.org/a', 'https://example.org/a'],
  ['/x/y.html', '//evil.example/a', '//evil.example/a'],
  ['/x/y.html', '/\\evil.example/a', '/\\evil.example/a'],
  ['/x/y.html', 'mailto:a@example.org', 'mailto:a@example.org'],
  ['/x/y.html', '#top', '#top'],
  ['/x/y.html', '?q=1', '?q=1'],
  ['/x/y.html', 'other.html', 'other.html'],
  ['/x/y.html', '../up.html', '../up.html'],
  ['/x/y.html', '', ''],
];

/** Where the snapshot may be served: a domain root, a sub-path, an IPFS path gateway. */
const ROOTS = [
  'https://blog.example.org/',
  'https://ferry.github.io/blog/',
  'http://127.0.0.1:8787/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/',
];

/** RFC 3986 6.2.2.1: percent-encodings differing only in the case of their hex digits are equal. */
const sameCase = (url: string): string => url.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());

/** The URL a browser opens for the page at `from` under `root` (encoded as a browser would). */
function pageUrl(root: string, from: string): string {
  return new URL(hrefOf(from).slice(1), root).href;
}

describe('relativeHref', () => {
  it.each(CASES)('from %s to %s is %s', (from, href, expected) => {
    expect(relativeHref(from, href)).toBe(expected);
  });

  // The WHATWG URL parser (the browsers' own) resolves each link under every root to the file the
  // site path names under that root.
  it.each(CASES.filter(([, href]) => isRootRelative(href)))('from %s, %s reaches the same file under every root', (from, href) => {
    const link = relativeHref(from, href);
    for (const root of ROOTS) {
      const expected = new URL(`./${href.replace(/^\/+/, '').replaceAll('\\', '/')}`, root);
      // Dot segments of the site path never climb above the root.
      const clamped = expected.href.startsWith(root) ? expected.href : new URL(expected.pathname.replace(/^\/(\.\.\/)*/, ''), root).href;
      const viaPage = new URL(link, pageUrl(root, from)).href;
      expect(sameCase(viaPage), `${root} ${from} -> ${link}`).toBe(sameCase(clamped));
      // A directory index resolves the same from its directory URL.
      if (from.endsWith('/index.html')) {
        expect(sameCase(new URL(link, pageUrl(root, from.slice(0, -'index.html'.length))).href)).toBe(sameCase(clamped));
      }
    }
  });

  it('treats only site paths as root-relative', () => {
    expect(['/', '/a', '/a/b.html?x#y'].every(isRootRelative)).toBe(true);
    expect(['', 'a', '//h/a', '/\\h', 'https://h/', '#x', '?x', './a'].some(isRootRelative)).toBe(false);
  });

  it('refuses a page path that is not a site path', () => {
    expect(() => relativeHref('index.html', '/a.html')).toThrow(LinkError);
    expect(() => relativeHref('', '/a.html')).toThrow(/must start with '\/'/);
  });
});
