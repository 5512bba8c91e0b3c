import { describe, expect, it } from 'vitest';
import { rewriteUrls, sanitizePostHtml, type UrlDecision } from '../../src/core/sanitize.ts';

const BASE = 'http://gongminziyoulianmeng.blogspot.com/2015/09/protest.html';
const IMG = 'http://127.0.0.1:40123/media';

// Blogger's thumbnail markup (as in the fixture's Washington DC post), plus a text link and an
// image with alt text, sanitized first as ingest does.
const sanitized = sanitizePostHtml(
  '<p>See <a href="http://gongminziyoulianmeng.blogspot.com/2015/10/book.html" title="Book">the book</a>.</p>' +
    `<div class="separator"><a href="${IMG}/s1600/protest-1.png"><img border="0" height="240" src="${IMG}/s320/protest-1.png" width="320" /></a></div>` +
    '<p><img src="http://cdn.example/logo.gif" alt="Logo &lt;CCR&gt;"> <a href="mailto:info@example.org">mail</a></p>',
  { baseUrl: BASE },
).html;

const keepAll = (): UrlDecision => ({ action: 'keep' });

describe('rewriteUrls', () => {
  it('starts from clean sanitizer output', () => {
    expect(sanitized).toBe(
      '<p>See <a href="http://gongminziyoulianmeng.blogspot.com/2015/10/book.html" title="Book" rel="noopener noreferrer">the book</a>.</p>' +
        `<div><a href="${IMG}/s1600/protest-1.png" rel="noopener noreferrer"><img src="${IMG}/s320/protest-1.png" width="320" height="240" loading="lazy" /></a></div>` +
        '<p><img src="http://cdn.example/logo.gif" alt="Logo &lt;CCR&gt;" loading="lazy" /> <a href="mailto:info@example.org" rel="noopener noreferrer">mail</a></p>',
    );
  });

  it('asks about every link and image, in document order, with its kind', () => {
    const calls: string[] = [];
    rewriteUrls(sanitized, (url, kind) => {
      calls.push(`${kind} ${url}`);
      return { action: 'keep' };
    });
    expect(calls).toEqual([
      'link http://gongminziyoulianmeng.blogspot.com/2015/10/book.html',
      `link ${IMG}/s1600/protest-1.png`,
      `image ${IMG}/s320/protest-1.png`,
      'image http://cdn.example/logo.gif',
      'link mailto:info@example.org',
    ]);
  });

  it('leaves sanitized HTML byte for byte unchanged when every URL is kept', () => {
    expect(rewriteUrls(sanitized, keepAll)).toBe(sanitized);
  });

  type Case = { name: string; decide: (url: string, kind: 'link' | 'image') => UrlDecision; contains: string[]; lacks: string[] };
  const cases: Case[] = [
    {
      name: 'replace points links and images at snapshot paths',
      decide: (url) =>
        url.startsWith(IMG)
          ? { action: 'replace', url: url.replace(IMG, '/media') }
          : url.includes('/2015/10/')
            ? { action: 'replace', url: '/2015/10/book.html#c1' }
            : { action: 'keep' },
      contains: [
        '<a href="/2015/10/book.html#c1" title="Book" rel="noopener noreferrer">the book</a>',
        '<a href="/media/s1600/protest-1.png" rel="noopener noreferrer"><img src="/media/s320/protest-1.png" width="320" height="240" loading="lazy" /></a>',
      ],
      lacks: [IMG],
    },
    {
      name: 'remove unwraps a link and keeps its text',
      decide: (_, kind) => (kind === 'link' ? { action: 'remove' } : { action: 'keep' }),
      contains: ['<p>See the book.</p>', `<div><img src="${IMG}/s320/protest-1.png"`, '> mail</p>'],
      lacks: ['<a '],
    },
    {
      name: 'remove drops an image',
      decide: (url, kind) => (kind === 'image' && url.includes('logo') ? { action: 'remove' } : { action: 'keep' }),
      contains: ['<p> <a href="mailto:info@example.org"'],
      lacks: ['logo.gif', 'Logo'],
    },
    {
      name: 'link turns an image into a link to it, named by its alt text or "image"',
      decide: (url, kind) => (kind === 'image' ? { action: 'link' } : url.includes('s1600') ? { action: 'remove' } : { action: 'keep' }),
      contains: [
        `<div><a href="${IMG}/s320/protest-1.png" rel="noopener noreferrer">image</a></div>`,
        '<a href="http://cdn.example/logo.gif" rel="noopener noreferrer">Logo &lt;CCR&gt;</a>',
      ],
      lacks: ['<img', 's1600'],
    },
    {
      name: "link inside a kept link leaves the image's name as text, so links never nest",
      decide: (_, kind) => (kind === 'image' ? { action: 'link' } : { action: 'keep' }),
      contains: [
        `<div><a href="${IMG}/s1600/protest-1.png" rel="noopener noreferrer"><span>image</span></a></div>`,
        '<p><a href="http://cdn.example/logo.gif" rel="noopener noreferrer">Logo &lt;CCR&gt;</a> <a href="mailto:',
      ],
      lacks: ['<img', 's320'],
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const out = rewriteUrls(sanitized, c.decide);
    for (const s of c.contains) expect(out).toContain(s);
    for (const s of c.lacks) expect(out).not.toContain(s);
  });

  it('refuses unsafe replacement URLs, naming them', () => {
    const refused = [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:image/png;base64,AAAA',
      'vbscript:x',
      'ftp://example.org/x',
      '//evil.example/x',
      '/\\evil.example/x',
      '\\\\evil.example/x',
      ' /x',
      '/\t/evil.example',
      'java\tscript:alert(1)',
      'relative/path.html',
      '',
    ];
    for (const bad of refused) {
      for (const kind of ['link', 'image'] as const) {
        expect(() => rewriteUrls(sanitized, (_, k) => (k === kind ? { action: 'replace', url: bad } : { action: 'keep' }))).toThrow(
          `refusing replacement URL ${JSON.stringify(bad)}`,
        );
      }
    }
  });

  it('accepts http(s), mailto and site paths as replacements', () => {
    for (const good of [
      'https://example.org/a?b=c&d=e',
      'http://example.org/',
      'mailto:a@example.org',
      '/',
      '/media/ab.png',
      '/2015/10/x.html#top',
    ]) {
      const out = rewriteUrls(sanitized, (_, kind) => (kind === 'link' ? { action: 'replace', url: good } : { action: 'keep' }));
      expect(out).toContain(`href="${good.replaceAll('&', '&amp;')}"`);
    }
  });

  it("refuses the 'link' decision for a link", () => {
    expect(() => rewriteUrls(sanitized, () => ({ action: 'link' }))).toThrow(/only.*images|images only/);
  });

  it('escapes what it writes', () => {
    const out = rewriteUrls('<a href="http://x.example/">x</a>', () => ({ action: 'replace', url: '/a"><script>alert(1)</script>' }));
    expect(out).toBe('<a href="/a&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" rel="noopener noreferrer">x</a>');
  });

  it('never lets unsafe input through, and never asks about unsafe URLs', () => {
    const seen: string[] = [];
    const out = rewriteUrls(
      '<script>alert(1)</script><a href="javascript:alert(1)" onclick="x">a</a><img src="data:image/png;base64,AA" onerror="x">' +
        '<iframe src="http://evil.example/"></iframe><a href="//evil.example/">b</a><p style="x:expression(1)">c</p>',
      (url) => {
        seen.push(url);
        return { action: 'keep' };
      },
    );
    expect(out).toBe('ab<p>c</p>');
    expect(seen).toEqual([]);
  });

  it('is stable: a rewritten document rewrites to itself when everything is kept', () => {
    const once = rewriteUrls(sanitized, (url) =>
      url.startsWith(IMG) ? { action: 'replace', url: url.replace(IMG, '/media') } : { action: 'keep' },
    );
    expect(rewriteUrls(once, keepAll)).toBe(once);
  });
});
