// The Blogger fixtures the suite carries (test/fixtures, described in its README), and the shared
// ones that may sit beside the checkout (../shared/fixtures, or FERRY_FIXTURES): those only add
// cases when present and are never required.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

/** This repository's own fixture folder. */
export const FIXTURES = join(REPO, 'test/fixtures');
export const CLEAN = join(FIXTURES, 'blogger-clean');
export const COMPROMISED = join(FIXTURES, 'blogger-compromised');

/** What the tests know about the own fixtures (see test/fixtures/README.md). */
export const BLOG_ID = 'tag:blogger.com,1999:blog-7146208853510924417';
export const POST_ID_PREFIX = `${BLOG_ID}.post-`;
export const SITE_TITLE = '公民自由联盟 Coalition for Citizens Rights';
/** The newest post (page 1, first), in English. */
export const FIRST_PATH = '/2016/06/june-fourth-candlelight-vigil-in-flushin.html';
/** A Chinese post (page 1, last), with Blogger's slug for a title it cannot transliterate. */
export const ZH_PATH = '/2015/10/blog-post.html';
export const ZH_TITLE = '金明哲：为什么我们需要翻墙';
/** The old post the attacker edited in blogger-compromised (page 2, first). */
export const ALTERED_ID = `${POST_ID_PREFIX}3471958802216639075`;
export const ALTERED_PATH = '/2015/10/book-talk-letters-my-father-could-not.html';
export const ALTERED_TITLE = 'Book Talk: "Letters My Father Could Not Send"';
/** What the attacker planted (hosts, code), none of which may reach any output. */
export const INJECTED = /<script|<iframe|javascript:|onerror|phish\.example|example-stats|flash-update|document\.cookie/i;
/** The post with three photos, each a thumbnail linking to its full size (page 2, second). */
export const PHOTO_PATH = '/2015/09/rally-for-detained-lawyers-at-chinese.html';

export interface FixtureSet {
  name: string;
  clean: string;
  compromised: string;
}

function sharedFixtures(): string | undefined {
  const fromEnv = process.env.FERRY_FIXTURES;
  const candidates = [fromEnv, join(REPO, '../shared/fixtures')].filter((c): c is string => c !== undefined && c !== '');
  return candidates.find((c) => existsSync(join(c, 'blogger-clean')) && existsSync(join(c, 'blogger-compromised')));
}

/** The shared fixtures' folder when present beside the checkout, else undefined. */
export const SHARED_FIXTURES = sharedFixtures();

/** Every pair of clean/compromised Blogger folders available: the own one first, then the shared one. */
export const FIXTURE_SETS: FixtureSet[] = [
  { name: 'own (test/fixtures)', clean: CLEAN, compromised: COMPROMISED },
  ...(SHARED_FIXTURES === undefined
    ? []
    : [
        {
          name: `shared (${SHARED_FIXTURES})`,
          clean: join(SHARED_FIXTURES, 'blogger-clean'),
          compromised: join(SHARED_FIXTURES, 'blogger-compromised'),
        },
      ]),
];
