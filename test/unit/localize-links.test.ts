// From the origin's HTML to the page a reader opens: links to the origin's posts, archives and
// images become links relative to the page that shows them, and reach the snapshot's own files
// wherever it is served.
import { describe, expect, it } from 'vitest';
import type { Post, Site } from '../../src/core/model.ts';
import { localizePost, mediaRefs } from '../../src/core/prepare.ts';
import { renderPages } from '../../src/core/render.ts';
import { sanitizePostHtml } from '../../src/core/sanitize.ts';

const ORIGIN = 'http://gongminziyoulianmeng.blogspot.com';
const IMAGE = 'https://blogger.googleusercontent.com/img/b/R29vZ2xl/s1600/protest-1.png';
const MEDIA = '/media/0123456789abcdef0123456789abcdef.png';

function post(path: string, originPath: string, html: string, published: string): Post {
  const clean = sanitizePostHtml(html, { baseUrl: `${ORIGIN}${originPath}` }).html;
  return localizePost(
    {
      id: `id:${path}`,
      slug: path.replace(/^.*\/|\.html$/g, ''),
      path,
      title: path,
      published,
      updated: published,
      authors: [],
      tags: [],
      language: 'zh-Hans',
      html: clean,
      originUrl: `${ORIGIN}${originPath}`,
      contentHash: '0'.repeat(64),
    },
    { originHosts: ['gongminziyoulianmeng.blogspot.com'], blockedHosts: ['evil.example'], media: new Map([[IMAGE, MEDIA]]) },
  );
}

const linking = post(
  '/2015/09/blog-post.html',
  '/2015/09/blog-post.html',
  `<p><a href="${ORIGIN}/2016/06/27th-anniversary.html">六四</a> ` +
    `<a href="https://gongminziyoulianmeng.blogspot.com/2016/06/27th-anniversary.html#more">more</a> ` +
    `<a href="${ORIGIN}/2016/07/%E4%BA%BA%E6%9D%83.html">人权</a> ` +
    `<a href="../../2016/06/27th-anniversary.html">relative on the origin</a> ` +
    `<a href="${ORIGIN}/">home</a> <a href="${ORIGIN}/2016/06/">June</a> ` +
    `<a href="http://evil.example/x">gone</a> <a href="https://example.org/">outside</a></p>` +
    `<a href="${IMAGE}"><img src="${IMAGE}" alt="抗议"></a>`,
  '2015-09-16T21:03:00.000-07:00',
);
const june = post('/2016/06/27th-anniversary.html', '/2016/06/27th-anniversary.html', '<p>June</p>', '2016-06-08T21:03:00.000-07:00');
const chinese = post('/2016/07/人权.html', '/2016/07/%E4%BA%BA%E6%9D%83.html', '<p>人权</p>', '2016-07-01T10:00:00.000+08:00');

const site: Site = {
  meta: { id: 'blog', title: '公民自由联盟', subtitle: '', originUrl: `${ORIGIN}/`, language: 'zh-Hans' },
  posts: [linking, june, chinese],
};
const files = renderPages(site, { canonical: 'https://mirror-a.example.org/', mirrors: [] });

describe('links from the origin, as readers get them', () => {
  it('keeps site paths in the stored post (feeds and media bookkeeping read them)', () => {
    expect(linking.html).toContain('href="/2016/06/27th-anniversary.html"');
    expect(linking.html).toContain('href="/2016/07/%E4%BA%BA%E6%9D%83.html"');
    expect(mediaRefs(linking.html)).toEqual([MEDIA]);
  });

  it('writes them relative to the post page', () => {
    const content = /<div class="content">\n([\s\S]*?)\n<\/div>/.exec(files.get(linking.path) ?? '')?.[1] ?? '';
    expect(content).toBe(
      '<p><a href="../../2016/06/27th-anniversary.html" rel="noopener noreferrer">六四</a> ' +
        '<a href="../../2016/06/27th-anniversary.html#more" rel="noopener noreferrer">more</a> ' +
        '<a href="../../2016/07/%E4%BA%BA%E6%9D%83.html" rel="noopener noreferrer">人权</a> ' +
        '<a href="../../2016/06/27th-anniversary.html" rel="noopener noreferrer">relative on the origin</a> ' +
        '<a href="../../" rel="noopener noreferrer">home</a> <a href="../../2016/06/" rel="noopener noreferrer">June</a> ' +
        'gone <a href="https://example.org/" rel="noopener noreferrer">outside</a></p>' +
        `<a href="../../${MEDIA.slice(1)}" rel="noopener noreferrer"><img src="../../${MEDIA.slice(1)}" alt="抗议" loading="lazy" /></a>`,
    );
  });

  it.each([
    'https://blog.example.org/',
    'https://ferry.github.io/blog/',
    'http://127.0.0.1:8787/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/',
  ])('reaches the snapshot’s own pages and images under %s', (root) => {
    const page = new URL('2015/09/blog-post.html', root);
    const content = /<div class="content">([\s\S]*?)<\/div>/.exec(files.get(linking.path) ?? '')?.[1] ?? '';
    const reached = [...content.matchAll(/\s(?:href|src)="([^"]*)"/g)]
      .map((m) => new URL(m[1] ?? '', page).href)
      .filter((u) => u.startsWith(root))
      .map((u) => {
        const path = `/${decodeURIComponent(u.slice(root.length)).replace(/#.*$/, '')}`;
        return path.endsWith('/') ? `${path}index.html` : path;
      });
    expect([...new Set(reached)].sort()).toEqual(
      ['/2016/06/27th-anniversary.html', '/2016/07/人权.html', '/index.html', '/2016/06/index.html', MEDIA].sort(),
    );
    for (const path of reached) expect(files.has(path) || path === MEDIA, path).toBe(true);
  });
});
