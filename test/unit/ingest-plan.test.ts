// The build's pure decisions, table by table (src/core/ingest-plan.ts).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CANONICAL,
  READ_MARGIN_MS,
  canonicalOf,
  completeIncrementalRead,
  expiresAt,
  hostsOf,
  isLocalSource,
  nextVersion,
  originIdsToSave,
  originPolicyOf,
  publishedPaths,
  readPlanOf,
  renderKeysHold,
  reusableIds,
  reuseKeysOf,
  reuseKeysToSave,
  siteReasonsOf,
  type IngestSettings,
} from '../../src/core/ingest-plan.ts';
import { isLocalHost } from '../../src/adapters/web/limited-fetch.ts';
import { reuseKeyOf } from '../../src/core/guard.ts';
import type { MirrorRef } from '../../src/core/model.ts';

const mirror = (id: string, url: string, priority: number): MirrorRef => ({ id, kind: 'http', url, priority });
const settings = (over: Partial<IngestSettings> = {}): IngestSettings => ({
  source: 'https://blog.example/feeds/posts/default',
  canonical: 'https://mirror.example/',
  blockedHosts: [],
  mediaHosts: [],
  isLocalHost,
  ...over,
});
const record = (reuseKey?: string, path?: string) => ({
  hash: 'h',
  title: 't',
  updated: '2026-01-01T00:00:00Z',
  ...(reuseKey === undefined ? {} : { reuseKey }),
  ...(path === undefined ? {} : { path }),
});

describe('canonicalOf', () => {
  it.each([
    ['the configured one wins', [mirror('a', 'https://a.example/', 1)], 'https://c.example', 'https://c.example/'],
    [
      'else the first mirror by priority',
      [mirror('b', 'https://b.example/x', 2), mirror('a', 'https://a.example', 1)],
      undefined,
      'https://a.example/',
    ],
    ['else the local default', [], undefined, DEFAULT_CANONICAL],
  ])('%s', (_what, mirrors, explicit, expected) => {
    expect(canonicalOf(mirrors, explicit)).toBe(expected);
  });
});

describe('hosts', () => {
  it.each([
    [['https://www.blog.example/x', 'http://blog.example/'], ['blog.example']],
    [['examples/posts', ''], []],
    [
      ['https://a.example', 'https://b.example:8080/'],
      ['a.example', 'b.example'],
    ],
  ])('hostsOf(%j) = %j', (urls, hosts) => {
    expect(hostsOf(urls)).toEqual(hosts);
  });

  it.each([
    ['examples/posts', true],
    ['/srv/feed.xml', true],
    ['http://127.0.0.1:8080/feeds/posts/default', true],
    ['http://192.168.1.2/feed', true],
    ['https://blog.example/feeds/posts/default', false],
  ])('isLocalSource(%s) = %s', (source, local) => {
    expect(isLocalSource(source, isLocalHost)).toBe(local);
  });
});

describe('originPolicyOf', () => {
  it.each([
    // A remote origin naming a local home page: the local host is the origin's for links, never an image host.
    ['remote source, local home page', settings(), 'http://10.0.0.5/', false],
    ['local source, local home page', settings({ source: 'http://127.0.0.1:9/feeds/posts/default' }), 'http://127.0.0.1:9/', true],
  ])('%s', (_what, s, home, trusted) => {
    const policy = originPolicyOf(s, { originUrl: home }, s.source);
    expect(policy.originHosts).toContain(new URL(home).hostname);
    expect(policy.mediaHosts.includes(new URL(home).hostname)).toBe(trusted);
    expect(policy.mediaHosts).toContain('blogger.googleusercontent.com');
  });

  it('takes relative URLs against the feed, or the canonical for a folder', () => {
    expect(originPolicyOf(settings(), { originUrl: '' }, 'https://blog.example/feeds/posts/default?start-index=1').baseUrl).toBe(
      'https://blog.example/feeds/posts/default?start-index=1',
    );
    expect(originPolicyOf(settings({ source: 'posts' }), { originUrl: '' }, 'posts').baseUrl).toBe('https://mirror.example/');
  });

  it('its processing digest changes with what shapes a post, not with the order hosts are listed in', () => {
    const key = (s: IngestSettings) => originPolicyOf(s, { originUrl: 'https://blog.example/' }, s.source).processing;
    expect(key(settings({ blockedHosts: ['a.example', 'b.example'] }))).toBe(key(settings({ blockedHosts: ['b.example', 'a.example'] })));
    expect(key(settings({ blockedHosts: ['a.example'] }))).not.toBe(key(settings()));
    expect(key(settings({ mediaHosts: ['img.example'] }))).not.toBe(key(settings()));
  });
});

describe('what is taken as published', () => {
  const processing = 'p'.repeat(64);
  const digest = 'd'.repeat(64);
  const published = {
    same: record(reuseKeyOf(digest, processing), '/2026/01/same.html'),
    changed: record(reuseKeyOf('e'.repeat(64), processing)),
    incomplete: record(undefined, '/2026/01/incomplete.html'),
  };
  const keys = reuseKeysOf(
    ['same', 'changed', 'incomplete', 'new'].map((id) => ({ id, digest })),
    processing,
  );

  it.each([
    ['same entry, same processing', [], ['same']],
    ['the whole site is held', ['the feed id changed'], []],
  ])('%s', (_what, siteReasons, ids) => {
    expect(reusableIds(keys, { published }, siteReasons)).toEqual(ids);
  });

  it('a post keeps the path it was published at', () => {
    expect([...publishedPaths({ published })]).toEqual([
      ['same', '/2026/01/same.html'],
      ['incomplete', '/2026/01/incomplete.html'],
    ]);
  });

  it.each([
    ['every image copied', [], ['a', 'b']],
    ['an image to retry', [{ url: 'https://img/a.png', retryable: true }], ['b']],
    ['an image that will never come', [{ url: 'https://img/a.png', retryable: false }], ['a', 'b']],
  ])('reuse keys are recorded for posts published with %s', (_what, failures, saved) => {
    const reuseKeys = new Map([
      ['a', 'ka'],
      ['b', 'kb'],
      ['held', 'kh'],
    ]);
    const fresh = [
      { id: 'a', images: ['https://img/a.png'] },
      { id: 'b', images: [] },
    ];
    expect([...reuseKeysToSave({ reuseKeys, publishing: new Set(['a', 'b']), fresh, failures }).keys()]).toEqual(saved);
  });
});

describe('versions and records', () => {
  it.each([
    [0, undefined, 1],
    [4, 2, 5],
    [2, 7, 8], // the folder serves a version the state never recorded (a crash after the swap)
  ])('nextVersion(%i, %s) = %i', (recorded, serving, next) => {
    expect(nextVersion(recorded, serving)).toBe(next);
  });

  it('expires whole days after it is created', () => {
    expect(expiresAt(new Date('2026-01-01T00:00:00Z'), 14).toISOString()).toBe('2026-01-15T00:00:00.000Z');
  });

  it.each([
    ['first build', {}, 'a', false, { originId: 'a' }],
    ['same origin', { originId: 'a' }, 'a', false, { originId: 'a' }],
    ['a new feed id is held', { originId: 'a' }, 'b', true, { originId: 'a', pendingOriginId: 'b' }],
  ])('%s', (_what, previous, id, held, expected) => {
    expect(originIdsToSave(previous, { id }, held)).toEqual(expected);
    expect(siteReasonsOf(previous, { id }).length > 0).toBe(held);
  });

  it.each([
    ['same folder, same version', { version: 3, renderOut: '/out' }, 3, '/out', true],
    ['another folder', { version: 3, renderOut: '/other' }, 3, '/out', false],
    ['the folder moved on (a crash after the swap)', { version: 3, renderOut: '/out' }, 4, '/out', false],
    ['nothing served', { version: 3, renderOut: '/out' }, undefined, '/out', false],
    ['a store from before render folders were recorded', { version: 3 }, 3, '/out', false],
  ])('render keys hold: %s', (_what, previous, serving, out, holds) => {
    expect(renderKeysHold(previous, serving, out)).toBe(holds);
  });
});

describe('readPlanOf', () => {
  const BLOGGER = 'https://blog.example/feeds/posts/default';
  const now = new Date('2026-12-02T12:00:00Z');
  const reads = { last: '2026-12-02T11:00:00.000Z', full: '2026-12-02T00:00:00.000Z' };
  const none = { pending: [], approvals: {} };
  it.each([
    ['a Markdown folder', 'examples/posts', { ...none, reads }, 'full'],
    ['an RSS feed', 'https://blog.example/rss.xml', { ...none, reads }, 'full'],
    ['the first read', BLOGGER, none, 'full'],
    ['the full read is due', BLOGGER, { ...none, reads: { ...reads, full: '2026-12-01T12:00:00.000Z' } }, 'full'],
    ['the clock moved back', BLOGGER, { ...none, reads: { ...reads, last: '2026-12-03T00:00:00.000Z' } }, 'full'],
    ['a recorded time that is not one', BLOGGER, { ...none, reads: { ...reads, full: 'yesterday' } }, 'full'],
    ['a held-back post was approved', BLOGGER, { reads, pending: [{ id: 'p', hash: 'h2' }], approvals: { p: 'h2' } }, 'full'],
    ['an approval of an older version', BLOGGER, { reads, pending: [{ id: 'p', hash: 'h2' }], approvals: { p: 'h1' } }, 'incremental'],
    ['a Blogger feed read fully today', BLOGGER, { ...none, reads }, 'incremental'],
    ['a custom domain', 'https://news.example.org/feeds/posts/default?alt=atom', { ...none, reads }, 'incremental'],
  ])('%s: %s', (_what, source, recorded, kind) => {
    expect(readPlanOf({ source, recorded, now, fullReadMs: 24 * 3_600_000 }).kind).toBe(kind);
  });

  it('asks for what was updated since the last read began, less the margin', () => {
    expect(readPlanOf({ source: BLOGGER, recorded: { ...none, reads }, now, fullReadMs: 24 * 3_600_000 })).toEqual({
      kind: 'incremental',
      updatedMin: new Date(Date.parse(reads.last) - READ_MARGIN_MS).toISOString(),
    });
    expect(readPlanOf({ source: BLOGGER, recorded: { ...none, reads }, now, fullReadMs: 0 }).kind).toBe('full');
  });
});

describe('completeIncrementalRead', () => {
  const processing = 'a'.repeat(64);
  const key = (d: string) => reuseKeyOf(d.repeat(64), processing);
  const recorded = {
    published: { p1: record(key('1')), p2: record(key('2')) },
    pending: [{ id: 'new-held' }, { id: 'site:meta' }, { id: 'p2' }],
  };
  const base = { updatedMin: '2026-12-02T10:00:00.000Z', recorded, processing, siteReasons: [], notPosts: ['site:meta'] };
  it('takes the published posts it did not return as they are, and carries held-back ones', () => {
    expect(completeIncrementalRead({ ...base, returned: [{ id: 'p2', updated: '2026-12-02T10:30:00Z' }] })).toEqual({
      kind: 'incremental',
      unchanged: [{ id: 'p1', digest: '1'.repeat(32) }],
      carried: ['new-held'],
    });
  });
  it.each([
    ['an entry older than asked for', { returned: [{ id: 'p1', updated: '2016-01-01T00:00:00Z' }] }, 'served-all'],
    ['every post held for a new feed id', { returned: [], siteReasons: ['feed id changed'] }, 'read-all'],
    ['processing changed', { returned: [], processing: 'b'.repeat(64) }, 'read-all'],
    [
      'a published post without a reuse key (an image to retry)',
      { returned: [], recorded: { ...recorded, published: { ...recorded.published, p3: record() } } },
      'read-all',
    ],
  ])('%s', (_what, over, kind) => {
    expect(completeIncrementalRead({ ...base, ...over }).kind).toBe(kind);
  });
});
