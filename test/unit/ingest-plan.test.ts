// The build's pure decisions, table by table (src/core/ingest-plan.ts).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CANONICAL,
  canonicalOf,
  expiresAt,
  hostsOf,
  isLocalSource,
  nextVersion,
  originIdsToSave,
  originPolicyOf,
  publishedPaths,
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
