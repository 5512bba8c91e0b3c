// The prober's pure analysis: address ranges, OONI-format fingerprints, content analysis of
// tampered HTML (never words: this blog writes about hacking and censorship), the control
// comparison, the integrity sample plan and what failures mean, the ingest guard's evidence.
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../../src/core/bytes.ts';
import { matchDnsFingerprints, matchHttpFingerprints, parseCsv, parseFingerprints } from '../../src/core/health/block-fingerprints.ts';
import { analyzeHtml } from '../../src/core/health/content-analysis.ts';
import { compareWithControl, type ControlView } from '../../src/core/health/control-compare.ts';
import { DEFAULT_FINGERPRINTS } from '../../src/core/health/default-fingerprints.ts';
import { fileEvidence, judgeMismatch, manifestEvidence, planSample } from '../../src/core/health/integrity-check.ts';
import { classifyAddress, inRange, isCidr, parseIpv6 } from '../../src/core/health/ip-ranges.ts';
import { classifyEvidence } from '../../src/core/health/observation.ts';
import { guardEvidence } from '../../src/core/health/origin-evidence.ts';
import { SignatureError, createManifest, type Manifest } from '../../src/core/manifest.ts';
import { ExpiredError, RollbackError } from '../../src/core/verify.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['10.1.2.3', 'bogon'],
    ['172.31.255.255', 'bogon'],
    ['172.32.0.1', 'public'],
    ['100.127.255.255', 'bogon'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'bogon'],
    ['0.0.0.0', 'bogon'],
    ['198.51.100.7', 'bogon'],
    ['240.1.1.1', 'bogon'],
    ['2001::1', 'teredo'],
    ['2001:0:53aa:64c:0:0:0:1', 'teredo'],
    ['2001:db8::1', 'bogon'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700::1111', 'public'],
    ['::1', 'bogon'],
    ['::', 'bogon'],
    ['::ffff:10.0.0.1', 'bogon'],
    ['::ffff:8.8.8.8', 'public'],
    ['fe80::1%eth0', 'bogon'],
    ['fd00::1', 'bogon'],
    ['4000::1', 'bogon'],
    ['not-an-ip', 'invalid'],
    ['1::2::3', 'invalid'],
    ['1.2.3.256', 'invalid'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip).kind).toBe(kind);
  });

  it('trusted ranges are public; ranges are checked bit by bit', () => {
    expect(classifyAddress('127.0.0.1', ['127.0.0.0/8']).kind).toBe('public');
    expect(classifyAddress('10.0.0.1', ['127.0.0.0/8']).kind).toBe('bogon');
    expect(inRange('192.168.1.1', '192.168.0.0/16')).toBe(true);
    expect(inRange('192.169.1.1', '192.168.0.0/16')).toBe(false);
    expect(inRange('2001:db8::1', '10.0.0.0/8')).toBe(false);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('fc00::/7')).toBe(true);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
    expect(parseIpv6('1:2:3:4:5:6:7')).toBeUndefined();
  });
});

describe('OONI-format fingerprints', () => {
  const HEADER = 'name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes';
  const CSV = [
    HEADER,
    'x.cn_0,nat,"x.a,x.b",body,contains,"<title>访问被拒绝, ""blocked""</title>",5,"CN,HK",x,,note',
    'x.prod_0,prod,,header.server,prefix,Filter-Box,5,,x,,',
    'x.vbw_0,vbw,,body,regexp,blocked\\s+by\\s+policy,1,,x,,',
    'x.dns_0,nat,,dns,full,203.98.7.65,5,CN,x,,',
  ].join('\r\n');

  it('parses quoted fields, doubled quotes, commas and CRLF, by column name', () => {
    expect(parseCsv('a,"b,c",d\n"e ""f""",,\n')).toEqual([
      ['a', 'b,c', 'd'],
      ['e "f"', '', ''],
    ]);
    const fps = parseFingerprints(CSV, 'fp.csv');
    expect(fps).toHaveLength(4);
    expect(fps[0]).toEqual({
      name: 'x.cn_0',
      scope: 'nat',
      location: 'body',
      patternType: 'contains',
      pattern: '<title>访问被拒绝, "blocked"</title>',
      confidenceNoFp: 5,
      expectedCountries: ['CN', 'HK'],
    });
  });

  it.each([
    ['name,scope\nx,nat', "no 'location_found' column"],
    [`${HEADER}\nx,bad,,body,full,p,5,,x,,`, "row 2 ('x'): scope 'bad'"],
    [`${HEADER}\nx,nat,,body,fuzzy,p,5,,x,,`, "pattern_type 'fuzzy'"],
    [`${HEADER}\nx,nat,,header.Server,full,p,5,,x,,`, "location_found 'header.Server'"],
    [`${HEADER}\nx,nat,,body,regexp,(,5,,x,,`, 'not a valid regular expression'],
    [`${HEADER}\nx,nat,,body,full,p,5`, '7 fields, the header has 11'],
    [`${HEADER}\nx,nat,,body,full,,5,,x,,`, 'empty pattern'],
  ])('refuses %j naming the file and row', (text, message) => {
    expect(() => parseFingerprints(text, 'fp.csv')).toThrow(message);
    expect(() => parseFingerprints(text, 'fp.csv')).toThrow('fp.csv');
  });

  it('matches bodies, headers and DNS answers; vague words never confirm', () => {
    const fps = parseFingerprints(CSV, 'fp.csv');
    const headers = new Headers({ Server: 'Filter-Box 2.1' });
    const m = matchHttpFingerprints(fps, { body: 'it was blocked  by policy', headers });
    expect(m.map((x) => [x.fingerprint.name, x.location, x.confirmed])).toEqual([
      ['x.prod_0', 'header.server', true],
      ['x.vbw_0', 'body', false],
    ]);
    expect(matchHttpFingerprints(fps, { body: '<title>访问被拒绝, "blocked"</title>', headers: new Map() })[0]?.confirmed).toBe(true);
    expect(matchDnsFingerprints(fps, ['1.1.1.1', '203.98.7.65']).map((x) => x.fingerprint.name)).toEqual(['x.dns_0']);
    expect(matchDnsFingerprints(fps, ['203.98.7.6'])).toEqual([]);
  });

  it('the shipped set parses and says nothing about a post on censorship that quotes no block page', () => {
    expect(DEFAULT_FINGERPRINTS.length).toBeGreaterThan(4);
    const post =
      '<html><title>How the Great Firewall blocks our blog</title><body><p>Readers in China see access denied, resets and blocked pages.</p></body></html>';
    expect(matchHttpFingerprints(DEFAULT_FINGERPRINTS, { body: post, headers: new Map() })).toEqual([]);
  });
});

describe('analyzeHtml', () => {
  const page = 'https://mirror.example/2016/06/post.html';
  const codes = (html: string, allowHosts: string[] = []): string[] => analyzeHtml(html, { pageUrl: page, allowHosts }).map((f) => f.code);

  it.each([
    ['<script src="https://cdn.evil.example/a.js"></script>', 'content-foreign-script'],
    ['<script src=//evil.example/a.js></script>', 'content-foreign-script'],
    ['<iframe src="https://ads.example/"></iframe>', 'content-foreign-frame'],
    ['<iframe src="/x" style="display: none"></iframe>', 'content-hidden-iframe'],
    ['<iframe src="https://x.example/" width="0" height="0"></iframe>', 'content-hidden-iframe'],
    ['<object data="https://x.example/a.swf"></object>', 'content-foreign-object'],
    ['<embed src="https://x.example/a.swf">', 'content-foreign-object'],
    ['<script>eval(atob("ZG9jdW1lbnQ="))</script>', 'content-obfuscation'],
    ['<script>var s=String.fromCharCode(104,105)</script>', 'content-obfuscation'],
    ['<script>document.write(unescape("%3Cscript%3E"))</script>', 'content-obfuscation'],
    ['<meta http-equiv="refresh" content="0; url=https://phish.example/">', 'content-meta-redirect'],
    ['<script>window.location.href = "https://phish.example/login"</script>', 'content-script-redirect'],
    ["<script>location.replace('https://phish.example/')</script>", 'content-script-redirect'],
  ])('%s -> %s', (html, code) => {
    expect(codes(`<html><body>${html}</body></html>`)).toContain(code);
  });

  it('words alone never count: a post about hacking, eval and iframes, with code samples, has no findings', () => {
    const post = `<html><title>How our first site was hacked</title><body>
      <p>The attackers planted eval(atob(...)) and String.fromCharCode tricks, then a hidden iframe
      to https://evil.example; the censors block us with DNS poisoning and SNI filtering.</p>
      <pre><code>&lt;script src="https://evil.example/x.js"&gt;&lt;/script&gt;
      &lt;iframe width=0 height=0 src="https://evil.example"&gt;</code></pre>
      <!-- <script src="https://old.example/analytics.js"></script> -->
      <textarea><script>eval(1)</script></textarea>
      <a href="https://evil.example/">a link to the attackers' site, for the record</a>
    </body></html>`;
    expect(analyzeHtml(post, { pageUrl: page })).toEqual([]);
  });

  it('the page host, relative URLs, allowed hosts and data scripts are fine', () => {
    const html = `<script src="/app.js"></script><script src="https://mirror.example/sw.js"></script>
      <iframe src="https://www.youtube.com/embed/x"></iframe><script type="application/ld+json">{"eval(":1}</script>
      <meta http-equiv="refresh" content="5; url=/2016/06/">`;
    expect(codes(html, ['.youtube.com'])).toEqual([]);
    expect(codes(html)).toEqual(['content-foreign-frame']);
  });
});

describe('compareWithControl', () => {
  const view = (o: Partial<ControlView>): ControlView => ({
    status: 200,
    headerNames: ['content-type', 'x-blogger-id'],
    bodyLength: 10_000,
    title: '公民自由联盟 Citizens liberty',
    ...o,
  });

  it.each([
    ['the same page', {}, true],
    ['a page of similar length', { bodyLength: 8_000, title: 'other', headerNames: [] }, true],
    ['a short notice with another title and headers', { bodyLength: 400, title: 'Notice', headerNames: ['content-type'] }, false],
    ['another status', { status: 403, bodyLength: 400, title: 'Forbidden' }, false],
    ['the same title though shorter', { bodyLength: 3_000, headerNames: [] }, true],
  ] as const)('%s: consistent=%s', (_name, probe, consistent) => {
    expect(compareWithControl(view(probe), view({})).consistent).toBe(consistent);
  });

  it('the body length ratio is the shorter over the longer, above 0.7', () => {
    expect(compareWithControl(view({ bodyLength: 7_000 }), view({})).bodyLengthMatch).toBe(false);
    expect(compareWithControl(view({ bodyLength: 7_001 }), view({})).bodyLengthMatch).toBe(true);
    expect(compareWithControl(view({ bodyLength: 10_000 }), view({ bodyLength: 5_000 })).bodyLengthRatio).toBe(0.5);
  });
});

function manifestOf(paths: string[]): Manifest {
  const files = new Map(paths.map((p) => [p, utf8ToBytes(`content of ${p}`)]));
  return createManifest({
    files,
    version: 3,
    created: new Date('2026-12-01T00:00:00Z'),
    expires: new Date('2026-12-31T00:00:00Z'),
    canonical: 'https://m.example/',
    mirrors: [],
  });
}

describe('planSample', () => {
  const posts = Array.from({ length: 12 }, (_, i) => `/2016/${String(i + 1).padStart(2, '0')}/post-${i}.html`);
  const others = Array.from({ length: 1_000 }, (_, i) => `/media/${i}.png`);
  const manifest = manifestOf(['/index.html', '/rss.xml', '/atom.xml', '/feed.json', '/2016/12/index.html', ...posts, ...others]);

  it('always checks the index, the newest posts and the feeds', () => {
    const plan = planSample(manifest, 0);
    expect(plan.fixed).toEqual([
      '/index.html',
      '/2016/12/post-11.html',
      '/2016/11/post-10.html',
      '/2016/10/post-9.html',
      '/rss.xml',
      '/atom.xml',
      '/feed.json',
    ]);
  });

  it('covers every file within a day of rounds, a few files a round, from any starting round', () => {
    for (const start of [0, 12_345, -7]) {
      const seen = new Set<string>();
      for (let r = start; r < start + 288; r++) {
        const plan = planSample(manifest, r);
        expect(plan.rotating.length).toBe(4); // ceil(1010 / 288)
        for (const p of [...plan.fixed, ...plan.rotating]) seen.add(p);
      }
      expect(seen.size).toBe(Object.keys(manifest.files).length);
    }
  });
});

describe('integrity evidence', () => {
  const manifest = manifestOf(['/index.html', '/a.html']);

  it('every refused manifest is compromised, confirmed', () => {
    for (const [error, code] of [
      [new SignatureError('bad'), 'integrity-signature'],
      [new ExpiredError('old'), 'integrity-expired'],
      [new RollbackError('v1 < v2'), 'integrity-rollback'],
      [new Error('junk'), 'integrity-manifest-invalid'],
    ] as const) {
      expect(manifestEvidence(error)).toMatchObject({ code, points: 'compromised', confirmed: true });
    }
  });

  it('a file is fine, differs in size, or differs in digest', () => {
    expect(fileEvidence(manifest, '/a.html', utf8ToBytes('content of /a.html'), 'm')).toBeUndefined();
    expect(fileEvidence(manifest, '/a.html', utf8ToBytes('content of /a.htm'), 'm')).toMatchObject({
      code: 'integrity-size',
      confirmed: true,
    });
    expect(fileEvidence(manifest, '/a.html', utf8ToBytes('content of /b.html'), 'm')).toMatchObject({
      code: 'integrity-mismatch',
      confirmed: true,
    });
  });

  const judge = (html: string): ReturnType<typeof judgeMismatch> => {
    const body = utf8ToBytes(html);
    const failure = fileEvidence(manifest, '/index.html', body, 'm');
    if (failure === undefined) throw new Error('expected a failure');
    return judgeMismatch({
      failure,
      path: '/index.html',
      url: 'https://m.example/',
      body,
      headers: new Map(),
      contentType: 'text/html',
      fingerprints: DEFAULT_FINGERPRINTS,
      allowHosts: [],
    });
  };

  it('a block page with nothing planted is blocked, confirmed; one carrying planted code stays compromised', () => {
    const block = '<html><title>x</title><body>FortiGuard Web Filtering<script>var x = 1;</script></body></html>';
    expect(classifyEvidence(judge(block))).toBe('blocked');
    expect(judge(block).map((e) => e.code)).toEqual(['blockpage-fingerprint', 'integrity-blockpage']);
    const disguised = '<html><body>FortiGuard Web Filtering<script src="https://evil.example/x.js"></script></body></html>';
    expect(classifyEvidence(judge(disguised))).toBe('compromised');
  });

  it('changed words alone are still compromised (the signature says so), with no content findings invented', () => {
    const edited = judge('<html><body><p>We were hacked; eval and iframes; censorship.</p></body></html>');
    expect(classifyEvidence(edited)).toBe('compromised');
    expect(edited.filter((e) => e.layer === 'content')).toEqual([]);
  });
});

describe('guardEvidence', () => {
  it('a changed feed id and held-back posts are compromise evidence; removed active content is degraded', () => {
    expect(guardEvidence({})).toEqual([]);
    const e = guardEvidence({ feedIdChanged: { from: 'a', to: 'b' }, heldBack: 2, activeContentRemoved: 1 });
    expect(e.map((x) => [x.code, x.points])).toEqual([
      ['origin-feed-id-changed', 'compromised'],
      ['origin-posts-held-back', 'compromised'],
      ['origin-active-content', 'degraded'],
    ]);
    expect(classifyEvidence(guardEvidence({ activeContentRemoved: 3 }))).toBe('degraded');
  });
});
