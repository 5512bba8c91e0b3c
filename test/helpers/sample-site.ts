// A small Site for tests: a Chinese post and an English post (tags, authors, offsets -07:00 and
// +08:00, HTML with a root-relative image and link) and an English post whose title carries
// & < > " ' . Every builder returns fresh objects, so tests may change them freely.
import type { Post, Site, SiteMeta } from '../../src/core/model.ts';

export const SAMPLE_CANONICAL = 'https://blog.example.org/';

export const SAMPLE_IDS = {
  english: 'tag:blogger.com,1999:blog-4409253621830214786.post-827234106974359669',
  chinese: 'tag:blogger.com,1999:blog-4409253621830214786.post-5550001112223334445',
  special: 'tag:blogger.com,1999:blog-4409253621830214786.post-1234567890123456789',
} as const;

export const SPECIAL_TITLE = `Rights & "Freedom" <Now>: it's 'time' ]]> &amp; more`;

export function createSampleMeta(overrides: Partial<SiteMeta> = {}): SiteMeta {
  return {
    id: 'tag:blogger.com,1999:blog-4409253621830214786',
    title: '公民自由联盟 Coalition for Citizens Rights',
    subtitle: 'Freedom of speech & press, and internet freedom, in China.',
    originUrl: 'http://gongminziyoulianmeng.blogspot.com/',
    language: 'zh',
    ...overrides,
  };
}

export function createSamplePost(overrides: Partial<Post> = {}): Post {
  return {
    id: SAMPLE_IDS.english,
    slug: '27th-anniversary-of-tiananmen-square',
    path: '/2016/06/27th-anniversary-of-tiananmen-square.html',
    title: '27th Anniversary of Tiananmen Square Massacre',
    published: '2016-06-08T21:03:00.000-07:00',
    updated: '2016-06-08T21:10:31.123-07:00',
    authors: ['Coalition for Citizens Rights'],
    tags: ['Tiananmen', 'Human Rights'],
    language: 'en',
    html:
      '<p>On June 7, 2016, a meeting was held in Flushing, New York &amp; online.</p>' +
      '<p><a href="/media/s1600/protest-1.png"><img src="/media/s320/protest-1.png" alt="protest" /></a></p>' +
      '<p>See also <a href="/2015/12/cccr-remembers-67th-anniversary.html">last year</a> and ' +
      '<a href="https://www.hrw.org/?a=1&amp;b=2">HRW</a>.</p>',
    originUrl: 'http://gongminziyoulianmeng.blogspot.com/2016/06/27th-anniversary-of-tiananmen-square.html',
    contentHash: 'a'.repeat(64),
    ...overrides,
  };
}

export function createChinesePost(overrides: Partial<Post> = {}): Post {
  return createSamplePost({
    id: SAMPLE_IDS.chinese,
    slug: 'blog-post',
    path: '/2016/05/blog-post.html',
    title: '朴日: 拆除中国网络防火墙',
    published: '2016-05-20T12:03:00.000+08:00',
    updated: '2016-06-10T09:30:00.000+08:00',
    authors: ['朴日'],
    tags: ['网络自由', '防火墙'],
    language: 'zh',
    html:
      '<p>中国的网络防火墙阻挡了数以亿计的网民。</p>' +
      '<p><img src="/media/s1600/protest-2.png" alt="抗议" /></p>' +
      '<p>请阅读<a href="/2016/06/27th-anniversary-of-tiananmen-square.html">六四纪念</a>。</p>',
    originUrl: 'http://gongminziyoulianmeng.blogspot.com/2016/05/blog-post.html',
    contentHash: 'b'.repeat(64),
    ...overrides,
  });
}

export function createSpecialPost(overrides: Partial<Post> = {}): Post {
  return createSamplePost({
    id: SAMPLE_IDS.special,
    slug: 'rights-and-freedom',
    path: '/2015/12/rights-and-freedom.html',
    title: SPECIAL_TITLE,
    published: '2015-12-11T21:03:00.000-07:00',
    updated: '2015-12-12T05:00:00Z',
    authors: ['Coalition for Citizens Rights'],
    tags: ['A & B', '<tag>'],
    language: 'en',
    html: '<p>Text with &lt;angle brackets&gt;, &amp; ampersands, "quotes" and ]]&gt; in it.</p>',
    originUrl: 'http://gongminziyoulianmeng.blogspot.com/2015/12/rights-and-freedom.html',
    contentHash: 'c'.repeat(64),
    ...overrides,
  });
}

/** Newest first: English (2016-06-09 UTC), Chinese (2016-05-20), special (2015-12-12). */
export function createSampleSite(overrides: { meta?: Partial<SiteMeta>; posts?: Post[] } = {}): Site {
  return {
    meta: createSampleMeta(overrides.meta),
    posts: overrides.posts ?? [createSamplePost(), createChinesePost(), createSpecialPost()],
  };
}
