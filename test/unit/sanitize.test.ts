import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sanitizePostHtml } from '../../src/core/sanitize.ts';
import { FIXTURES } from '../helpers/fixtures.ts';

const ALTERED = 'post-3471958802216639075';

const BASE = 'http://127.0.0.1:40123';
const POST_BASE = 'http://gongminziyoulianmeng.blogspot.com/2015/10/book-release.html';
const UNSAFE_OUTPUT = /<script|<iframe|\son\w+=|javascript:|data:/i;

/** Decode the XML character references of an Atom text node (one pass, so &amp;quot; stays &quot;). */
function decodeXml(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#[0-9]+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return named[ref] ?? whole;
  });
}

interface FixtureEntry {
  id: string;
  title: string;
  html: string;
}

/** The entries of a fixture feed page, with {BASE} filled in as the fixture server would. */
function readEntries(folder: string, page: 1 | 2): FixtureEntry[] {
  const xml = readFileSync(`${FIXTURES}/${folder}/blogger/feed-page${page}.xml`, 'utf8').replaceAll('{BASE}', BASE);
  return [...xml.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => {
    const body = m[1] ?? '';
    const field = (re: RegExp): string => {
      const found = re.exec(body)?.[1];
      if (found === undefined) throw new Error(`fixture ${folder} page ${page}: entry without ${re.source}`);
      return decodeXml(found);
    };
    return {
      id: field(/<id>([^<]*)<\/id>/),
      title: field(/<title[^>]*>([^<]*)<\/title>/),
      html: field(/<content type='html'>([^<]*)<\/content>/),
    };
  });
}

function entry(folder: string, page: 1 | 2, idSuffix: string): FixtureEntry {
  const found = readEntries(folder, page).find((e) => e.id.endsWith(idSuffix));
  if (found === undefined) throw new Error(`no entry ${idSuffix} in ${folder} page ${page}`);
  return found;
}

/** Text a reader sees: tags dropped, character references decoded. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(
      /&(lt|gt|amp|quot|#x27|#39);/g,
      (_, ref: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#x27': "'", '#39': "'" })[ref] ?? '',
    );
}

const cleanEntries = [...readEntries('blogger-clean', 1), ...readEntries('blogger-clean', 2)];

describe('sanitizePostHtml on the clean Blogger fixture', () => {
  it('has the 7 posts the fixture README describes', () => {
    expect(cleanEntries).toHaveLength(7);
  });

  it.each(cleanEntries.map((e) => [e.title, e] as const))('reports nothing removed and loses no text: %s', (_, e) => {
    const out = sanitizePostHtml(e.html, { baseUrl: POST_BASE });
    expect(out.removed).toEqual([]);
    expect(textOf(out.html)).toBe(textOf(e.html));
    expect(out.html).not.toMatch(UNSAFE_OUTPUT);
  });

  it('passes Chinese text through intact', () => {
    const letter = sanitizePostHtml(entry('blogger-clean', 2, 'post-4620338571926604017').html, { baseUrl: POST_BASE });
    expect(letter.html).toContain('<p>我们要求中国政府公开你们的下落，允许你们会见自己委托的律师，立即释放所有被关押的维权律师。</p>');
    expect(letter.html).toContain('<p>此致<br />敬礼</p>');
    // &quot; in text becomes the character it stands for, beside the full-width quotes.
    const essay = sanitizePostHtml(entry('blogger-clean', 1, 'post-6057720394128850146').html, { baseUrl: POST_BASE });
    expect(essay.html).toContain('说我在网上发表了"不当言论"。');
    expect(essay.html).toContain('“参加了什么组织”');
  });

  it("keeps the rally post's thumbnail links and lists every image", () => {
    const e = entry('blogger-clean', 2, 'post-1186603350271924705');
    const out = sanitizePostHtml(e.html, { baseUrl: POST_BASE });
    expect(out.removed).toEqual([]);
    for (const n of [1, 2, 3]) {
      expect(out.html).toContain(
        `<div><a href="${BASE}/media/s1600/protest-${n}.png" rel="noopener noreferrer">` +
          `<img src="${BASE}/media/s320/protest-${n}.png" width="320" height="240" loading="lazy" /></a></div>`,
      );
    }
    expect(out.images).toEqual([1, 2, 3].flatMap((n) => [`${BASE}/media/s1600/protest-${n}.png`, `${BASE}/media/s320/protest-${n}.png`]));
    expect(out.html).not.toMatch(/class=|style=|border=|imageanchor=/);
  });
});

describe('sanitizePostHtml on the compromised Blogger fixture', () => {
  const attacked = entry('blogger-compromised', 2, ALTERED);
  const original = entry('blogger-clean', 2, ALTERED);
  const out = sanitizePostHtml(attacked.html, { baseUrl: POST_BASE });

  it('is really the attacked post', () => {
    expect(attacked.html).toContain('<script');
    expect(attacked.html).toContain('onerror=');
  });

  it('names every kind of active content the attacker planted', () => {
    expect(out.removed).toEqual(['<iframe> element', '<script> element', 'javascript: URL', 'onerror attribute']);
  });

  it('keeps none of it', () => {
    expect(out.html).not.toMatch(UNSAFE_OUTPUT);
    for (const planted of [
      'counter.example-stats.net',
      'flash-update.example.com',
      'phish.example',
      'document.cookie',
      'window.location',
      'display:none',
    ]) {
      expect(out.html).not.toContain(planted);
    }
  });

  it('keeps the original article unchanged, and the link text as plain text', () => {
    const clean = sanitizePostHtml(original.html, { baseUrl: POST_BASE }).html;
    expect(out.html.startsWith(clean)).toBe(true);
    expect(out.html.slice(clean.length)).toBe(
      '<p>More photos<img src="http://gongminziyoulianmeng.blogspot.com/2015/10/x.gif" loading="lazy" /></p>',
    );
  });
});

interface AttackCase {
  name: string;
  html: string;
  removed: string[];
  /** Reading content that must survive. */
  keeps?: string;
}

// OWASP XSS filter-evasion style inputs, and the other kinds of active content the design names.
const attacks: AttackCase[] = [
  { name: 'script element', html: '<p>a</p><script>alert(1)</script>', removed: ['<script> element'], keeps: '<p>a</p>' },
  {
    name: 'remote script',
    html: '<script src="http://evil.example/x.js"></script><p>b</p>',
    removed: ['<script> element'],
    keeps: '<p>b</p>',
  },
  { name: 'uppercase tags', html: '<SCRIPT>alert(1)</SCRIPT><P>b</P>', removed: ['<script> element'], keeps: '<p>b</p>' },
  { name: 'mixed-case tag', html: '<ScRiPt>alert(1)</sCrIpT>', removed: ['<script> element'] },
  { name: 'unclosed script', html: '<p>b</p><script>alert(1)', removed: ['<script> element'], keeps: '<p>b</p>' },
  {
    name: 'img onerror',
    html: '<img src=x onerror=alert(1)>',
    removed: ['onerror attribute'],
    keeps: '<img src="http://gongminziyoulianmeng.blogspot.com/2015/10/x" loading="lazy" />',
  },
  { name: 'handler with odd spacing', html: '<img src="a.png"\nONERROR\n=\n"alert(1)">', removed: ['onerror attribute'], keeps: 'a.png' },
  { name: 'onmouseover on a link', html: '<a href="/x" onmouseover="alert(1)">x</a>', removed: ['onmouseover attribute'], keeps: '>x</a>' },
  { name: 'svg onload', html: '<svg onload=alert(1)></svg><p>c</p>', removed: ['<svg> element', 'onload attribute'], keeps: '<p>c</p>' },
  {
    name: 'svg with script',
    html: '<svg><script>alert(1)</script></svg><p>c</p>',
    removed: ['<script> element', '<svg> element'],
    keeps: '<p>c</p>',
  },
  {
    name: 'math xlink:href',
    html: '<math><mi xlink:href="javascript:alert(1)">click</mi></math><p>c</p>',
    removed: ['<math> element', 'javascript: URL'],
    keeps: '<p>c</p>',
  },
  { name: 'javascript link', html: '<a href="javascript:alert(1)">x</a>', removed: ['javascript: URL'], keeps: 'x' },
  { name: 'JaVaScRiPt link', html: '<a href="JaVaScRiPt:alert(1)">x</a>', removed: ['javascript: URL'], keeps: 'x' },
  { name: 'decimal entity', html: '<a href="&#106;avascript:alert(1)">x</a>', removed: ['javascript: URL'], keeps: 'x' },
  {
    name: 'padded decimal entities without semicolons',
    html: '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    removed: ['javascript: URL'],
  },
  {
    name: 'hex entities',
    html: '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>',
    removed: ['javascript: URL'],
  },
  { name: 'tab in scheme', html: '<a href="java\tscript:alert(1)">x</a>', removed: ['javascript: URL'] },
  { name: 'encoded tab in scheme', html: '<a href="java&#x09;script:alert(1)">x</a>', removed: ['javascript: URL'] },
  { name: 'encoded newline in scheme', html: '<a href="jav&#x0A;ascript:alert(1)">x</a>', removed: ['javascript: URL'] },
  { name: 'leading space and control chars', html: '<a href=" &#14;  javascript:alert(1)">x</a>', removed: ['javascript: URL'] },
  { name: 'javascript image', html: '<IMG SRC="javascript:alert(1)"><p>d</p>', removed: ['javascript: URL'], keeps: '<p>d</p>' },
  { name: 'vbscript link', html: '<a href="vbscript:msgbox(1)">x</a>', removed: ['vbscript: URL'] },
  {
    name: 'data:text/html link',
    html: '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    removed: ['data: URL'],
    keeps: 'x',
  },
  { name: 'data:image on img', html: '<p>e</p><img src="data:image/png;base64,iVBORw0KGgo=">', removed: ['data: URL'], keeps: '<p>e</p>' },
  { name: 'file link', html: '<a href="file:///etc/passwd">x</a>', removed: ['file: URL'] },
  { name: 'blob image', html: '<img src="blob:http://evil.example/1">', removed: ['blob: URL'] },
  {
    name: 'javascript cite',
    html: '<blockquote cite="javascript:alert(1)">q</blockquote>',
    removed: ['javascript: URL'],
    keeps: '<blockquote>q</blockquote>',
  },
  {
    name: 'meta refresh',
    html: '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1);"><p>f</p>',
    removed: ['<meta http-equiv> element'],
    keeps: '<p>f</p>',
  },
  { name: 'plain meta', html: '<meta name="x" content="y"><p>f</p>', removed: ['<meta> element'], keeps: '<p>f</p>' },
  {
    name: 'base href',
    html: '<base href="http://evil.example/"><a href="x.html">g</a>',
    removed: ['<base> element'],
    keeps: 'href="http://gongminziyoulianmeng.blogspot.com/2015/10/x.html"',
  },
  {
    name: 'link stylesheet',
    html: '<link rel="stylesheet" href="http://evil.example/x.css"><p>g</p>',
    removed: ['<link> element'],
    keeps: '<p>g</p>',
  },
  {
    name: 'form action',
    html: '<form action="javascript:alert(1)"><input type="submit" value="go"></form><p>h</p>',
    removed: ['<form> element', '<input> element', 'javascript: URL'],
    keeps: '<p>h</p>',
  },
  {
    name: 'button formaction',
    html: '<button formaction="javascript:alert(1)">go</button>',
    removed: ['<button> element', 'javascript: URL'],
  },
  { name: 'object data', html: '<object data="javascript:alert(1)"></object>', removed: ['<object> element', 'javascript: URL'] },
  {
    name: 'object with a remote movie',
    html: '<object data="http://evil.example/x.swf"><param name="a" value="b">fallback</object>',
    removed: ['<object> element'],
  },
  { name: 'embed src', html: '<embed src="http://evil.example/x.swf"><p>i</p>', removed: ['<embed> element'], keeps: '<p>i</p>' },
  { name: 'applet', html: '<applet code="X.class">j</applet>', removed: ['<applet> element'] },
  {
    name: 'iframe srcdoc',
    html: '<iframe srcdoc="<script>alert(1)</script>"></iframe><p>k</p>',
    removed: ['<iframe> element'],
    keeps: '<p>k</p>',
  },
  { name: 'iframe javascript src', html: '<iframe src="javascript:alert(1)"></iframe>', removed: ['<iframe> element', 'javascript: URL'] },
  { name: 'frameset', html: '<frameset><frame src="http://evil.example/"></frameset>', removed: ['<frame> element', '<frameset> element'] },
  {
    name: 'style url(javascript:)',
    html: '<div style="background:url(javascript:alert(1))">l</div>',
    removed: ['style expression'],
    keeps: '<div>l</div>',
  },
  {
    name: 'style expression()',
    html: '<div style="width:expression(alert(1))">l</div>',
    removed: ['style expression'],
    keeps: '<div>l</div>',
  },
  { name: 'style expression hidden by a comment', html: '<p style="width: ex/**/pression(alert(1))">l</p>', removed: ['style expression'] },
  { name: 'style expression with CSS escapes', html: '<p style="width: \\65 xpression(alert(1))">l</p>', removed: ['style expression'] },
  { name: 'style behavior', html: '<p style="behavior: url(x.htc)">l</p>', removed: ['style expression'] },
  { name: 'style -moz-binding', html: '<p style="-moz-binding: url(http://evil.example/x.xml#x)">l</p>', removed: ['style expression'] },
  { name: 'style @import', html: '<p style="@import \'http://evil.example/x.css\';">l</p>', removed: ['style expression'] },
  { name: 'comment hiding a script', html: '<!--<script>alert(1)</script>--><p>m</p>', removed: [], keeps: '<p>m</p>' },
  { name: 'conditional comment', html: '<!--[if gte IE 4]><script>alert(1)</script><![endif]--><p>m</p>', removed: [], keeps: '<p>m</p>' },
  { name: 'CDATA hiding a script', html: '<![CDATA[<script>alert(1)</script>]]><p>m</p>', removed: [], keeps: '<p>m</p>' },
  { name: 'nested scr<script>ipt', html: '<scr<script>ipt>alert(1)</script>', removed: [] },
  { name: 'nested closing tags', html: '<scr<script>ipt>alert(1)</scr</script>ipt><p>n</p>', removed: [], keeps: '<p>n</p>' },
  { name: 'double open bracket', html: '<<script>alert(1);//<</script>', removed: ['<script> element'] },
  {
    name: 'attribute breaking out of title',
    html: '<a href="/x" title="&quot;><script>alert(1)</script>">o</a>',
    removed: [],
    keeps: 'title="&quot;&gt;&lt;script&gt;',
  },
  {
    name: 'noscript break-out',
    html: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><p>p</p>',
    removed: [],
    keeps: '<p>p</p>',
  },
  {
    name: 'template',
    html: '<template><img src=x onerror=alert(1)></template><p>q</p>',
    removed: ['onerror attribute'],
    keeps: '<p>q</p>',
  },
  { name: 'style element', html: '<style>body{background:url("javascript:alert(1)")}</style><p>r</p>', removed: [], keeps: '<p>r</p>' },
  {
    name: 'textarea break-out',
    html: '<textarea></textarea><script>alert(1)</script></textarea>',
    removed: ['<script> element', '<textarea> element'],
  },
  {
    name: 'script text inside textarea',
    html: '<textarea><script>alert(1)</script></textarea><p>s</p>',
    removed: ['<textarea> element'],
    keeps: '<p>s</p>',
  },
];

describe('sanitizePostHtml against active content', () => {
  it.each(attacks.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const out = sanitizePostHtml(c.html, { baseUrl: POST_BASE });
    expect(out.html).not.toMatch(UNSAFE_OUTPUT);
    expect(out.removed).toEqual(c.removed);
    if (c.keeps !== undefined) expect(out.html).toContain(c.keeps);
  });

  it('sorts and deduplicates the reasons', () => {
    const out = sanitizePostHtml(
      '<img src=a onerror=x><img src=b onerror=y><a href="javascript:1">1</a><script></script><a href="javascript:2">2</a>',
      { baseUrl: POST_BASE },
    );
    expect(out.removed).toEqual(['<script> element', 'javascript: URL', 'onerror attribute']);
  });
});

interface BenignCase {
  name: string;
  html: string;
  out: string;
}

// Harmless markup that is rewritten or dropped silently: nothing here may be reported.
const benign: BenignCase[] = [
  { name: 'class, id and layout style', html: '<p class="x" id="y" style="text-align: center; color: red">a</p>', out: '<p>a</p>' },
  { name: 'font and center keep their text', html: '<center><font color="red" face="Arial">red</font></center>', out: 'red' },
  { name: 'h1 becomes h2', html: '<h1 class="t">Title</h1><h3>Sub</h3>', out: '<h2>Title</h2><h3>Sub</h3>' },
  { name: 'unclosed tags are closed', html: '<p>one <b>two <i>three', out: '<p>one <b>two <i>three</i></b></p>' },
  {
    name: 'relative link is resolved',
    html: '<a href="../11/next.html#top">n</a>',
    out: '<a href="http://gongminziyoulianmeng.blogspot.com/2015/11/next.html#top" rel="noopener noreferrer">n</a>',
  },
  {
    name: 'protocol-relative link gets https',
    html: '<a href="//example.org/x">x</a>',
    out: '<a href="https://example.org/x" rel="noopener noreferrer">x</a>',
  },
  {
    name: 'protocol-relative link hidden by a tab',
    html: '<a href=" /\t/example.org/x">x</a>',
    out: '<a href="https://example.org/x" rel="noopener noreferrer">x</a>',
  },
  {
    name: 'target and rel are replaced',
    html: '<a href="https://example.org/" target="_blank" rel="opener">x</a>',
    out: '<a href="https://example.org/" rel="noopener noreferrer">x</a>',
  },
  {
    name: 'title on links is kept',
    html: '<a href="https://example.org/" title="T &amp; &quot;U&quot;">x</a>',
    out: '<a href="https://example.org/" title="T &amp; &quot;U&quot;" rel="noopener noreferrer">x</a>',
  },
  {
    name: 'mailto link',
    html: '<a href="mailto:info@example.org">mail</a>',
    out: '<a href="mailto:info@example.org" rel="noopener noreferrer">mail</a>',
  },
  {
    name: 'inert schemes unwrap silently',
    html: '<a href="tel:+12125551234">call</a> <a href="ftp://example.org/f">ftp</a>',
    out: 'call ftp',
  },
  { name: 'anchor without href unwraps', html: '<p><a name="more"></a>text</p>', out: '<p>text</p>' },
  {
    name: 'image alt, title and size kept',
    html: '<img alt="" title="t" src="/p.png" border="0" width="10" height="20" style="float:left">',
    out: '<img src="http://gongminziyoulianmeng.blogspot.com/p.png" alt="" title="t" width="10" height="20" loading="lazy" />',
  },
  { name: 'img without src is dropped', html: '<p>a<img alt="x"></p>', out: '<p>a</p>' },
  {
    name: 'table spans',
    html: '<table><tr><td colspan="2" rowspan="1" align="left">c</td></tr></table>',
    out: '<table><tr><td colspan="2" rowspan="1">c</td></tr></table>',
  },
  {
    name: 'semantic inline',
    html: '<abbr title="Coalition">CCR</abbr> <time datetime="2015-10-07">Oct 7</time> <q cite="http://example.org/s">q</q>',
    out: '<abbr title="Coalition">CCR</abbr> <time datetime="2015-10-07">Oct 7</time> <q cite="http://example.org/s">q</q>',
  },
  {
    name: 'text that looks like markup stays text',
    html: '<p>1 &lt; 2 &amp;&amp; a &gt; b</p>',
    out: '<p>1 &lt; 2 &amp;&amp; a &gt; b</p>',
  },
  { name: 'unparseable URL unwraps silently', html: '<a href="http://[broken">b</a>', out: 'b' },
];

describe('sanitizePostHtml on harmless markup', () => {
  it.each(benign.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const out = sanitizePostHtml(c.html, { baseUrl: POST_BASE });
    expect(out.html).toBe(c.out);
    expect(out.removed).toEqual([]);
  });
});

describe('sanitizePostHtml images', () => {
  it('lists kept images and links to image files in document order, once each', () => {
    const out = sanitizePostHtml(
      '<a href="/full/a.JPG?w=1600">a</a><img src="/thumb/a.jpg"><a href="/page.html">p</a>' +
        '<a href="http://x.example/b.webp#f">b</a><img src="/thumb/a.jpg"><a href="mailto:x@y.png">m</a>' +
        '<img src="data:image/gif;base64,R0lGOD=="><a href="/c.avif">c</a><a href="/d.gif/">d</a>',
      { baseUrl: POST_BASE },
    );
    expect(out.images).toEqual([
      'http://gongminziyoulianmeng.blogspot.com/full/a.JPG?w=1600',
      'http://gongminziyoulianmeng.blogspot.com/thumb/a.jpg',
      'http://x.example/b.webp#f',
      'http://gongminziyoulianmeng.blogspot.com/c.avif',
    ]);
  });

  it('does not list images inside removed elements', () => {
    const out = sanitizePostHtml('<noscript><img src="/n.png"></noscript><svg><a href="/s.png">s</a></svg>', { baseUrl: POST_BASE });
    expect(out.images).toEqual([]);
  });
});

describe('sanitizePostHtml determinism', () => {
  const inputs = [...cleanEntries.map((e) => e.html), ...attacks.map((c) => c.html), entry('blogger-compromised', 2, ALTERED).html];

  it('gives the same output for the same input', () => {
    for (const html of inputs) {
      expect(sanitizePostHtml(html, { baseUrl: POST_BASE })).toEqual(sanitizePostHtml(html, { baseUrl: POST_BASE }));
    }
  });

  it('is idempotent: its output sanitizes to itself with nothing removed', () => {
    for (const html of inputs) {
      const once = sanitizePostHtml(html, { baseUrl: POST_BASE });
      const twice = sanitizePostHtml(once.html, { baseUrl: POST_BASE });
      expect(twice.html).toBe(once.html);
      expect(twice.removed).toEqual([]);
      expect(twice.images).toEqual(once.images);
    }
  });

  it('refuses a base URL that is not absolute http(s)', () => {
    expect(() => sanitizePostHtml('<p>x</p>', { baseUrl: '/relative' })).toThrow(/baseUrl "\/relative"/);
    expect(() => sanitizePostHtml('<p>x</p>', { baseUrl: 'file:///tmp/' })).toThrow(/baseUrl/);
  });
});
