// The guard holds back a published post when any field readers see changes (pages or feeds), and
// an upgrade from a store whose hashes were made under the first scheme holds nothing back.
import { describe, expect, it } from 'vitest';
import type { RawEntry, SiteMeta } from '../../src/core/model.ts';
import { preparePosts } from '../../src/core/prepare.ts';
import { POST_HASH_SCHEME, contentHashOf, decide, postHashSchemeOf, type GuardState, type PublishedRecord } from '../../src/core/guard.ts';

const META: SiteMeta = {
  id: 'tag:blog.example,1999:blog-1',
  title: 'Blog',
  subtitle: '',
  originUrl: 'https://blog.example/',
  language: 'en',
};

const ENTRY: RawEntry = {
  id: 'tag:blog.example,1999:post-1',
  title: 'Freedom of assembly',
  published: '2026-01-02T03:04:05.000-08:00',
  updated: '2026-01-03T03:04:05.000-08:00',
  authors: ['Civil Liberties Union'],
  tags: ['rights', 'assembly'],
  language: 'en',
  html: '<p>The right to assemble peacefully.</p>',
  originUrl: 'https://blog.example/2026/01/freedom-of-assembly.html',
};

const prepare = (entry: RawEntry) => {
  const { candidates } = preparePosts([entry], META, { baseUrl: 'https://blog.example/feeds/posts/default' });
  const [candidate] = candidates;
  if (candidate === undefined) throw new Error('no candidate');
  return candidate;
};

/** The state a build that published `entry` leaves, with its hash under `scheme`. */
function publishedState(entry: RawEntry, hash: string, approvals: Record<string, string> = {}): GuardState {
  const record: PublishedRecord = { hash, title: entry.title, updated: entry.updated, path: prepare(entry).post.path };
  return { published: { [entry.id]: record }, approvals };
}

const CHANGES: Array<[field: string, change: (e: RawEntry) => RawEntry]> = [
  ['title', (e) => ({ ...e, title: 'Freedom of assembly (revised)' })],
  ['html', (e) => ({ ...e, html: '<p>The right to assemble, sometimes.</p>' })],
  ['tags', (e) => ({ ...e, tags: ['rights'] })],
  ['authors', (e) => ({ ...e, authors: ['Someone else'] })],
  ['published', (e) => ({ ...e, published: '2020-01-02T03:04:05.000-08:00' })],
  ['updated', (e) => ({ ...e, updated: '2030-01-03T03:04:05.000-08:00' })],
  ['language', (e) => ({ ...e, language: 'zh-Hans' })],
  ['language (detected)', ({ language: _none, ...e }) => ({ ...e, html: '<p>和平集会的权利。</p>', title: '集会自由' })],
  ['originUrl (gives the slug)', (e) => ({ ...e, originUrl: 'https://blog.example/2026/01/other.html' })],
];

describe('content hash', () => {
  it('names its scheme', () => {
    const candidate = prepare(ENTRY);
    expect(postHashSchemeOf(candidate.post.contentHash)).toBe(POST_HASH_SCHEME);
    expect(postHashSchemeOf(contentHashOf(candidate.post, 'ferry-post/1'))).toBe('ferry-post/1');
    expect(postHashSchemeOf('ferry-post/9:' + '0'.repeat(64))).toBeUndefined();
    expect(postHashSchemeOf('not a hash')).toBeUndefined();
  });

  it('an unchanged published post is published', () => {
    const first = prepare(ENTRY);
    const d = decide([prepare(ENTRY)], publishedState(ENTRY, first.post.contentHash));
    expect(d.quarantined).toEqual([]);
    expect(d.publish.map((p) => p.id)).toEqual([ENTRY.id]);
  });

  it.each(CHANGES)('a change of %s holds a published post back, and the approval of exactly that version releases it', (_field, change) => {
    const state = publishedState(ENTRY, prepare(ENTRY).post.contentHash);
    const changed = prepare(change(ENTRY));
    const d = decide([changed], state);
    expect(d.publish).toEqual([]);
    expect(d.kept).toEqual([ENTRY.id]);
    expect(d.quarantined).toHaveLength(1);
    expect(d.quarantined[0]?.reasons.join()).toMatch(/content changed since it was published/);
    expect(d.quarantined[0]?.hash).toBe(changed.post.contentHash);

    const approved = decide([prepare(change(ENTRY))], { ...state, approvals: { [ENTRY.id]: changed.post.contentHash } });
    expect(approved.publish.map((p) => p.id)).toEqual([ENTRY.id]);
  });

  // (The detected language changes with the text, which the first scheme covered.)
  it.each(CHANGES.filter(([f]) => f !== 'language (detected)'))(
    'under the first scheme, a store could not tell a change of %s (why the scheme changed)',
    (field, change) => {
      const covered = ['title', 'html', 'tags', 'originUrl (gives the slug)'];
      const v1 = (e: RawEntry) => contentHashOf({ ...e, language: prepare(e).post.language }, 'ferry-post/1');
      expect(v1(change(ENTRY)) !== v1(ENTRY)).toBe(covered.includes(field));
    },
  );

  describe('upgrading a store from the first scheme', () => {
    const v1 = (e: RawEntry): string => contentHashOf({ ...e, language: prepare(e).post.language }, 'ferry-post/1');

    it('holds nothing back: the published post is compared under its own scheme', () => {
      const d = decide([prepare(ENTRY)], publishedState(ENTRY, v1(ENTRY)));
      expect(d.quarantined).toEqual([]);
      expect(d.publish).toHaveLength(1);
      // ...and the post is recorded under the new scheme from now on.
      expect(postHashSchemeOf(d.publish[0]?.contentHash ?? '')).toBe(POST_HASH_SCHEME);
    });

    it('still holds back a change the first scheme covers', () => {
      const d = decide([prepare({ ...ENTRY, html: '<p>rewritten</p>' })], publishedState(ENTRY, v1(ENTRY)));
      expect(d.quarantined.map((q) => q.id)).toEqual([ENTRY.id]);
    });

    it('keeps an approval made before the upgrade, re-recorded under the new scheme', () => {
      const changed = { ...ENTRY, html: '<p>rewritten</p>' };
      const d = decide([prepare(changed)], publishedState(ENTRY, v1(ENTRY), { [ENTRY.id]: v1(changed) }));
      expect(d.quarantined).toEqual([]);
      expect(d.approvals[ENTRY.id]).toBe(prepare(changed).post.contentHash);
    });

    it('a hash under the new scheme is never matched by an earlier one', () => {
      const current = prepare(ENTRY);
      const changed = prepare({ ...ENTRY, authors: ['Someone else'] });
      // The changed entry's first-scheme hash equals the published one, but the record is new-scheme.
      expect(changed.earlierHashes?.['ferry-post/1']).toBe(v1(ENTRY));
      const d = decide([changed], publishedState(ENTRY, current.post.contentHash));
      expect(d.quarantined.map((q) => q.id)).toEqual([ENTRY.id]);
    });
  });
});
