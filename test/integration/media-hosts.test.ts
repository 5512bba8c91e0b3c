// Images are copied only from the origin's hosts, Blogger's and configured ones; a feed that names
// a local address as its home page (a compromised origin) does not make Ferry fetch from its
// network. The network is a stand-in here: a public feed host cannot run in a test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuild } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import type { LimitedFetch } from '../../src/ports/fetch.ts';
import { FetchError } from '../../src/ports/fetch.ts';
import { CLEAN } from '../helpers/fixtures.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-media-hosts-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const FEED = 'https://blog.example/feeds/posts/default';
const feed = (home: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:blogger.com,1999:blog-42</id>
  <title>公民自由联盟</title>
  <subtitle>Test</subtitle>
  <updated>2026-11-01T00:00:00Z</updated>
  <link rel="alternate" type="text/html" href="${home}"/>
  <entry>
    <id>tag:blogger.com,1999:blog-42.post-1</id>
    <published>2026-11-01T00:00:00Z</published>
    <updated>2026-11-01T00:00:00Z</updated>
    <title>图片 Pictures</title>
    <link rel="alternate" type="text/html" href="https://blog.example/2026/11/pictures.html"/>
    <content type="html">&lt;p&gt;one&lt;img src="${home}latest/meta-data/a.png"&gt; two&lt;img src="https://blog.example/ok.png"&gt;&lt;/p&gt;</content>
  </entry>
</feed>`;

describe('media hosts', () => {
  it('never fetches from a local address the origin names as its home page', async () => {
    const png = new Uint8Array(await readFile(join(CLEAN, 'blogger/media/s320/protest-2.png')));
    const asked: string[] = [];
    const fetch: LimitedFetch = async (url) => {
      asked.push(url);
      if (url === FEED)
        return {
          url,
          status: 200,
          headers: new Headers({ 'content-type': 'application/atom+xml' }),
          body: new TextEncoder().encode(feed('http://169.254.169.254/')),
        };
      if (url.endsWith('.png')) return { url, status: 200, headers: new Headers({ 'content-type': 'image/png' }), body: png };
      throw new FetchError(url, 'http-status', 'HTTP 404', 404);
    };
    const out = join(work, 'out');
    const report = await runBuild({
      source: FEED,
      out,
      dataDir: join(work, 'data'),
      privateKey: generateKeyPair(new Uint8Array(32).fill(5)).privateKey,
      mirrors: [],
      fetch,
      now: () => new Date('2026-11-26T00:00:00Z'),
    });
    expect(asked).toContain('https://blog.example/ok.png');
    expect(asked.filter((u) => u.includes('169.254.169.254'))).toEqual([]);
    expect(report.media.fetched).toBe(1);
    const page = await readFile(join(out, '2026/11/pictures.html'), 'utf8');
    expect(page.match(/\/media\/[0-9a-f]{32}\.png/g)?.length).toBe(1);
  });
});
