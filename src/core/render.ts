// Renders the snapshot's HTML pages (and its stylesheet) from the site model. Pure: the same site
// and options give byte-identical files, whatever the machine, clock or locale.
import { sha256Hex } from './bytes.ts';
import { UI, bilingual, monthName, type Bilingual } from './i18n.ts';
import { isSafeSnapshotPath } from './manifest.ts';
import { sortPosts, type MirrorRef, type Post, type Site } from './model.ts';
import { relinkHtml } from './html-urls.ts';
import { FEEDS, OFFLINE_PATH, canonicalUrlOf, escapeHtml as e, isLanguageTag, isWebUrl, linkFrom, renderShell } from './render-html.ts';
import { FAVICON_SVG, STYLE_CSS } from './render-style.ts';
import { breakable, para, sortMirrors, waysInHtml } from './ways-in.ts';
import { excerptOf, formatLocalDate, toLocalDate, type LocalDate } from './render-text.ts';

export interface RenderOptions {
  /** Canonical mirror base URL ending with '/'. */
  canonical: string;
  /** Shown on mirrors.html (sorted by priority, then id). Pass only mirrors meant to be public. */
  mirrors: MirrorRef[];
  /** Shown on mirrors.html when present. */
  ipfsCid?: string;
  /** Public IPFS path gateways (base URLs ending with '/'): mirrors.html links the CID through each. */
  ipfsGateways?: readonly string[];
  /** The blog's onion address (http://….onion/), shown on mirrors.html for Tor Browser. */
  onion?: string;
  /** Posts per index page, default 10. */
  pageSize?: number;
}

/**
 * Bump whenever the HTML of a page changes for the same input (templates, escaping, i18n): it is
 * part of every page's render key, so an incremental build renders every page again.
 */
export const RENDER_VERSION = 'pages/5';

/** Marks a page that an incremental build keeps from the previous snapshot instead of rendering. */
export const REUSED = Symbol('reused');

/**
 * What an incremental build knows of the previous snapshot: whether the page at path was rendered
 * from exactly this key (then the same bytes are still at hand and need not be rendered again).
 */
export interface PageCache {
  has(path: string, key: string): boolean;
  /** Every cacheable page's key, as rendered (or reused) now, for the next build. */
  note(path: string, key: string): void;
  /** A digest of a text (sha256 hex): a page's key is the digest of everything it shows. */
  digest(text: string): string;
  /** A digest of everything in a post, the same for the same post: digest(JSON.stringify(post)), remembered. */
  identity(post: Post): string;
  /**
   * Optional memory kept from build to build by the caller (posts are never changed in place, so
   * an object seen before is the same post): a post page's key, with the neighbours and the site
   * it was computed for, and a post's view. A hit saves serializing and hashing every post.
   */
  memo?: RenderMemo;
}

export interface RenderMemo {
  keys: WeakMap<Post, { newer: Post | undefined; older: Post | undefined; site: string; key: string }>;
  views: WeakMap<Post, { siteLang: string; view: unknown }>;
}

/** The site or options cannot be rendered; the message says which post or option to fix. */
export class RenderError extends Error {
  override name = 'RenderError';
}

const MAX_SLUG = 60;

/**
 * The page listing a label's posts: '/labels/human-rights.html' for 'Human Rights'. Letters and
 * digits of any script are kept (lower-cased, NFC); every other run becomes '-'. Labels with no
 * letters or digits, or longer than 60 of them, get a hash so the path stays short and distinct.
 * Labels differing only in case or punctuation share a page.
 */
export function labelPath(tag: string): string {
  const words =
    tag
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const chars = Array.from(words.join('-'));
  const hash = sha256Hex(tag).slice(0, 10);
  let slug: string;
  if (chars.length === 0) slug = `label-${hash}`;
  else if (chars.length > MAX_SLUG) slug = `${chars.slice(0, MAX_SLUG).join('')}-${hash}`;
  else slug = chars.join('');
  return `/labels/${slug}.html`;
}

interface PostView {
  post: Post;
  lang: string;
  date: LocalDate;
  updated: LocalDate | undefined;
  /** Distinct labels of this post: [path, name], in the post's own order. */
  labels: Array<[string, string]>;
}

interface LabelGroup {
  names: string[];
  posts: PostView[];
}

export function renderPages(site: Site, opts: RenderOptions): Map<string, string> {
  const files: Array<[string, string]> = [];
  for (const [path, text] of generatePages(site, opts)) if (text !== REUSED) files.push([path, text]);
  return new Map(files.sort(([a], [b]) => compareText(a, b)));
}

/**
 * The pages one at a time, so a large blog can be written out without holding every page in
 * memory. Order is not sorted; the set of files is the same as renderPages'.
 */
export function* generatePages(site: Site, opts: RenderOptions, cache?: PageCache): Generator<[string, string | typeof REUSED]> {
  const canonical = opts.canonical;
  if (!isWebUrl(canonical) || !canonical.endsWith('/')) {
    throw new RenderError(`render: canonical must be an http(s) URL ending with '/', got ${JSON.stringify(canonical)}`);
  }
  const pageSize = opts.pageSize ?? 10;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new RenderError(`render: pageSize must be a positive integer, got ${String(pageSize)}`);
  }
  if (opts.ipfsCid !== undefined && !/^[A-Za-z0-9]{1,256}$/.test(opts.ipfsCid)) {
    throw new RenderError(`render: ipfsCid must be a CID (letters and digits), got ${JSON.stringify(opts.ipfsCid)}`);
  }

  const siteLang = isLanguageTag(site.meta.language) ? site.meta.language : 'und';
  const labelPathMemo = new Map<string, string>();
  const labelPathOf = (name: string): string => {
    let path = labelPathMemo.get(name);
    if (path === undefined) labelPathMemo.set(name, (path = labelPath(name)));
    return path;
  };
  const memo = cache?.memo;
  const viewOf = (post: Post): PostView => {
    const hit = memo?.views.get(post);
    if (hit !== undefined && hit.siteLang === siteLang) return hit.view as PostView;
    const view = toView(post, siteLang, labelPathOf);
    memo?.views.set(post, { siteLang, view });
    return view;
  };
  const views = sortPosts(site.posts).map(viewOf);
  const owners = new Map<string, string>();
  const add = (path: string, text: string, owner = 'a generated page'): [string, string] => {
    const taken = owners.get(path);
    if (taken !== undefined) {
      throw new RenderError(`render: ${taken} and ${owner} both want ${path}; give the post another path`);
    }
    owners.set(path, owner);
    return [path, text];
  };
  const shell = (path: string, title: string, main: string, lang = siteLang, headLinks = ''): string =>
    renderShell({ path, title, siteTitle: site.meta.title, lang, canonical, main, headLinks });
  const siteTitle = site.meta.title;

  // An incremental build keeps a page rendered from the same key as last time (REUSED).
  const siteKey = JSON.stringify([RENDER_VERSION, canonical, siteTitle, siteLang]);
  const keep = (path: string, key: string, owner?: string): [string, typeof REUSED] | undefined => {
    if (cache === undefined) return undefined;
    cache.note(path, key);
    if (!cache.has(path, key)) return undefined;
    add(path, '', owner);
    return [path, REUSED];
  };
  const cached = (path: string, parts: unknown, owner?: string): [string, typeof REUSED] | undefined =>
    cache === undefined ? undefined : keep(path, cache.digest(`${siteKey}\n${JSON.stringify([path, parts])}`), owner);
  const shown = (list: readonly PostView[]): unknown[] => list.map((v) => [cache?.identity(v.post), v.lang]);

  // Posts first, so a post whose path collides with a generated page is named in the error.
  for (const [i, view] of views.entries()) {
    const newer = views[i - 1];
    const older = views[i + 1];
    const owner = `post ${JSON.stringify(view.post.id)}`;
    // Everything a post page is rendered from: the post, its neighbours' links, the site shell.
    const neighbour = (v: PostView | undefined): unknown => (v === undefined ? null : [v.post.path, v.post.title, v.lang]);
    let reused: [string, typeof REUSED] | undefined;
    if (cache !== undefined) {
      const hit = memo?.keys.get(view.post);
      let key = hit !== undefined && hit.newer === newer?.post && hit.older === older?.post && hit.site === siteKey ? hit.key : undefined;
      if (key === undefined) {
        key = cache.digest(
          `${siteKey}\n${JSON.stringify([view.post.path, [cache.identity(view.post), view.lang, neighbour(newer), neighbour(older)]])}`,
        );
        memo?.keys.set(view.post, { newer: newer?.post, older: older?.post, site: siteKey, key });
      }
      reused = keep(view.post.path, key, owner);
    }
    if (reused !== undefined) {
      yield reused;
      continue;
    }
    const main = postMain(view, newer, older);
    yield add(view.post.path, shell(view.post.path, `${view.post.title} · ${siteTitle}`, main, view.lang), owner);
  }

  // Index pages.
  // The front page shows the newest posts. Older posts are on pages numbered from the OLDEST
  // (/page/1.html holds the first pageSize posts ever published), so a new post changes the front
  // page and the newest archive page only: every older page keeps its bytes on every mirror.
  const n = views.length;
  const pageCount = n <= pageSize ? 0 : Math.ceil(n / pageSize);
  const pageOf = (newestFirstIndex: number): number => Math.floor((n - 1 - newestFirstIndex) / pageSize) + 1;
  const listing = (
    path: string,
    title: string,
    heading: string,
    slice: readonly PostView[],
    newer?: string,
    older?: string,
  ): [string, string | typeof REUSED] => {
    const reused = cached(path, [title, heading, shown(slice), newer ?? null, older ?? null]);
    if (reused !== undefined) return reused;
    const newerHref = newer === undefined ? undefined : linkFrom(path, newer);
    const olderHref = older === undefined ? undefined : linkFrom(path, older);
    const head =
      (newerHref ? `<link rel="prev" href="${newerHref}">\n` : '') + (olderHref ? `<link rel="next" href="${olderHref}">\n` : '');
    const main =
      heading +
      (slice.length === 0 ? `<p>${e(bilingual(UI.noPosts))}</p>\n` : postList(slice, true, path)) +
      (newerHref || olderHref ? pager(newerHref, olderHref) : '');
    return add(path, shell(path, title, main, siteLang, head));
  };
  yield listing('/index.html', siteTitle, '', views.slice(0, pageSize), undefined, pageCount > 0 ? indexPath(pageOf(pageSize)) : undefined);
  for (let page = 1; page <= pageCount; page++) {
    const slice = views.slice(Math.max(0, n - page * pageSize), n - (page - 1) * pageSize);
    const label = `${bilingual(UI.page)} ${page}`;
    yield listing(
      indexPath(page),
      `${label} · ${siteTitle}`,
      `<h1>${e(label)}</h1>\n`,
      slice,
      page < pageCount ? indexPath(page + 1) : '/index.html',
      page > 1 ? indexPath(page - 1) : undefined,
    );
  }

  // Monthly archives, newest month first.
  const months = groupBy(views, (v) => `${v.date.year}/${v.date.month}`);
  const monthKeys = [...months.keys()].sort(compareText).reverse();
  for (const key of monthKeys) {
    const [year = '', month = ''] = key.split('/');
    const name = monthName(year, month);
    const path = monthPath(year, month);
    const reused = cached(path, shown(months.get(key) ?? []));
    if (reused !== undefined) {
      yield reused;
      continue;
    }
    const main =
      `<h1>${e(monthTitle(name))}</h1>\n` +
      postList(months.get(key) ?? [], false, path) +
      `<p><a href="${linkFrom(path, '/archive.html')}">${e(bilingual(UI.archive))}</a></p>\n`;
    yield add(path, shell(path, `${monthTitle(name)} · ${siteTitle}`, main));
  }

  // Label pages: tags that map to the same path share a page.
  const labels = new Map<string, LabelGroup>();
  for (const view of views) {
    for (const [path, name] of view.labels) {
      const group = labels.get(path) ?? { names: [], posts: [] };
      if (!group.names.includes(name)) group.names.push(name);
      group.posts.push(view);
      labels.set(path, group);
    }
  }
  const labelPaths = [...labels.keys()].sort(compareText);
  for (const path of labelPaths) {
    const group = labels.get(path);
    if (!group) continue;
    const name = [...group.names].sort(compareText).join(' / ');
    const reused = cached(path, [name, shown(group.posts)]);
    if (reused !== undefined) {
      yield reused;
      continue;
    }
    const main =
      `<h1>${e(bilingual(UI.label))}: ${e(name)}</h1>\n` +
      postList(group.posts, false, path) +
      `<p><a href="${linkFrom(path, '/archive.html')}">${e(bilingual(UI.archive))}</a></p>\n`;
    yield add(path, shell(path, `${name} · ${siteTitle}`, main));
  }

  // Archive: every month with its count, then every label.
  const years = groupBy(monthKeys, (k) => k.slice(0, 4));
  let archive = `<h1>${e(bilingual(UI.archive))}</h1>\n`;
  if (monthKeys.length === 0) archive += `<p>${e(bilingual(UI.noPosts))}</p>\n`;
  for (const year of [...years.keys()].sort(compareText).reverse()) {
    archive += `<h2>${e(year)}</h2>\n<ul>\n`;
    for (const key of years.get(year) ?? []) {
      const [y = '', m = ''] = key.split('/');
      const count = months.get(key)?.length ?? 0;
      archive += `<li><a href="${linkFrom('/archive.html', monthPath(y, m))}">${e(monthTitle(monthName(y, m)))}</a> <span class="count">(${count})</span></li>\n`;
    }
    archive += `</ul>\n`;
  }
  if (labelPaths.length > 0) {
    archive += `<h2>${e(bilingual(UI.labels))}</h2>\n<ul class="labels">\n`;
    for (const path of labelPaths) {
      const group = labels.get(path);
      if (!group) continue;
      const name = [...group.names].sort(compareText).join(' / ');
      archive += `<li><a href="${linkFrom('/archive.html', path)}" rel="tag">${e(name)}</a> <span class="count">(${group.posts.length})</span></li>\n`;
    }
    archive += `</ul>\n`;
  }
  yield add('/archive.html', shell('/archive.html', `${bilingual(UI.archive)} · ${siteTitle}`, archive));

  yield add('/about.html', shell('/about.html', `${bilingual(UI.about)} · ${siteTitle}`, aboutMain(site.meta.title, site.meta.subtitle)));
  yield add('/mirrors.html', shell('/mirrors.html', `${bilingual(UI.mirrors)} · ${siteTitle}`, mirrorsMain(opts, canonical)));
  // Hosts answer every missing address with these bytes (/a/b/missing as well as /404.html), so
  // nothing in it may depend on where it is shown: see ShellInput.anyAddress.
  yield add(
    '/404.html',
    renderShell({
      path: '/404.html',
      title: `${bilingual(UI.notFound)} · ${siteTitle}`,
      siteTitle,
      lang: siteLang,
      canonical,
      main: notFoundMain(canonical, opts.mirrors),
      anyAddress: true,
    }),
  );
  // What the service worker shows for a page never read when no mirror answers: shown at any
  // address too, so it is built the same way as the 404 page.
  yield add(
    OFFLINE_PATH,
    renderShell({
      path: OFFLINE_PATH,
      title: `${bilingual(UI.offline)} · ${siteTitle}`,
      siteTitle,
      lang: siteLang,
      canonical,
      main: offlineMain(opts, canonical),
      anyAddress: true,
    }),
  );
  yield add('/style.css', STYLE_CSS);
  yield add('/favicon.svg', FAVICON_SVG);
}

function toView(post: Post, siteLang: string, labelPathOf: (name: string) => string): PostView {
  if (!isSafeSnapshotPath(post.path) || post.path.endsWith('/')) {
    throw new RenderError(`render: post ${JSON.stringify(post.id)} has an unsafe path ${JSON.stringify(post.path)}`);
  }
  const date = toLocalDate(post.published);
  if (!date) {
    throw new RenderError(`render: post ${JSON.stringify(post.id)}: published ${JSON.stringify(post.published)} is not an RFC 3339 date`);
  }
  const updatedDate = toLocalDate(post.updated);
  const updated = updatedDate && formatLocalDate(updatedDate) !== formatLocalDate(date) ? updatedDate : undefined;
  const labels: Array<[string, string]> = [];
  for (const tag of post.tags) {
    const name = tag.trim();
    const path = labelPathOf(name);
    if (name !== '' && !labels.some(([p]) => p === path)) labels.push([path, name]);
  }
  return { post, lang: isLanguageTag(post.language) ? post.language : siteLang, date, updated, labels };
}

function postMain(view: PostView, newer: PostView | undefined, older: PostView | undefined): string {
  const { post, date, updated } = view;
  const from = post.path;
  let meta = `${e(bilingual(UI.published))} ${timeTag(post.published, date)}`;
  if (updated) meta += ` · ${e(bilingual(UI.updated))} ${timeTag(post.updated, updated)}`;
  const authors = post.authors.map((a) => a.trim()).filter((a) => a !== '');
  if (authors.length > 0) meta += ` · ${e(bilingual(UI.authors))} ${e(authors.join(', '))}`;
  const labels =
    view.labels.length === 0
      ? ''
      : `<ul class="labels" aria-label="${e(bilingual(UI.labels))}">` +
        view.labels.map(([path, name]) => `<li><a href="${linkFrom(from, path)}" rel="tag">${e(name)}</a></li>`).join('') +
        `</ul>\n`;
  const nav =
    newer || older
      ? `<nav class="post-nav">` +
        (newer
          ? `<a href="${linkFrom(from, newer.post.path)}">← ${e(bilingual(UI.newerPost))}: <span lang="${e(newer.lang)}">${e(newer.post.title)}</span></a>`
          : '<span></span>') +
        (older
          ? `<a href="${linkFrom(from, older.post.path)}">${e(bilingual(UI.olderPost))}: <span lang="${e(older.lang)}">${e(older.post.title)}</span> →</a>`
          : '') +
        `</nav>\n`
      : '';
  return (
    `<article>\n` +
    `<h1>${e(post.title)}</h1>\n` +
    `<p class="meta">${meta}</p>\n` +
    labels +
    `<div class="content">\n${relinkHtml(post.html, from)}\n</div>\n` +
    `</article>\n` +
    nav
  );
}

/** The posts as listed on the page at `from`. */
function postList(views: readonly PostView[], withExcerpt: boolean, from: string): string {
  const items = views.map((v) => {
    const excerpt = withExcerpt ? excerptOf(v.post.html) : '';
    return (
      `<li lang="${e(v.lang)}"><h2><a href="${linkFrom(from, v.post.path)}">${e(v.post.title)}</a></h2>` +
      `<p class="date">${timeTag(v.post.published, v.date)}</p>` +
      (excerpt === '' ? '' : `<p class="excerpt">${e(excerpt)}</p>`) +
      `</li>\n`
    );
  });
  return `<ul class="post-list">\n${items.join('')}</ul>\n`;
}

function pager(newer: string | undefined, older: string | undefined): string {
  return (
    `<nav class="pager">` +
    (newer ? `<a rel="prev" href="${newer}">← ${e(bilingual(UI.newer))}</a>` : '<span></span>') +
    (older ? `<a rel="next" href="${older}">${e(bilingual(UI.older))} →</a>` : '') +
    `</nav>\n`
  );
}

function aboutMain(title: string, subtitle: string): string {
  const paragraphs = subtitle
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return (
    `<h1>${e(bilingual(UI.about))}</h1>\n` +
    `<h2>${e(title)}</h2>\n` +
    paragraphs
      .map(
        (p) =>
          `<p>${p
            .split('\n')
            .map((line) => e(line.trim()))
            .join('<br>\n')}</p>\n`,
      )
      .join('')
  );
}

/** mirrors.html: an introduction, then every way in (ways-in.ts). */
function mirrorsMain(opts: RenderOptions, canonical: string): string {
  return (
    `<h1>${e(bilingual(UI.mirrors))}</h1>\n` +
    `<div class="note">\n${para(UI.mirrorsIntro)}${para(UI.mirrorsVerify)}</div>\n` +
    waysInHtml({ ...opts, canonical }, '/mirrors.html')
  );
}

/**
 * The 404 page's content: shown at any address, so every link is absolute. The canonical mirror's
 * home and archive, then every public mirror's address, so a reader for whom the canonical one is
 * blocked can go on from the mirror they are on.
 */
function notFoundMain(canonical: string, mirrors: readonly MirrorRef[]): string {
  const others = sortMirrors(mirrors)
    .filter((m) => isWebUrl(m.url))
    .map((m) => `<li><a href="${e(m.url)}" rel="noreferrer">${e(m.url)}</a></li>\n`);
  return (
    `<h1>${e(bilingual(UI.notFound))}</h1>\n` +
    para(UI.notFoundHelp) +
    `<ul>\n` +
    `<li><a href="${e(canonicalUrlOf(canonical, '/index.html'))}">${e(bilingual(UI.home))}</a></li>\n` +
    `<li><a href="${e(canonicalUrlOf(canonical, '/archive.html'))}">${e(bilingual(UI.archive))}</a></li>\n` +
    `<li><a href="${e(canonicalUrlOf(canonical, '/mirrors.html'))}">${e(bilingual(UI.mirrors))}</a></li>\n` +
    `</ul>\n` +
    (others.length === 0 ? '' : `<h2>${e(bilingual(UI.otherMirrors))}</h2>\n<ul class="mirror-list">\n${others.join('')}</ul>\n`)
  );
}

/**
 * The offline page's content: every way in that does not need this address (each signed mirror,
 * the IPFS address, the feeds), absolute, Chinese first.
 */
function offlineMain(opts: RenderOptions, canonical: string): string {
  const mirrors = sortMirrors(opts.mirrors)
    .filter((m) => isWebUrl(m.url))
    .map((m) => `<li><a href="${e(m.url)}" rel="noreferrer">${breakable(m.url)}</a> <span class="meta">(${e(m.kind)})</span></li>\n`);
  return (
    `<h1>${e(bilingual(UI.offline))}</h1>\n` +
    para(UI.offlineHelp) +
    `<h2>${e(bilingual(UI.mirrors))}</h2>\n` +
    (mirrors.length === 0 ? para(UI.noMirrors) : `<ul class="mirror-list">\n${mirrors.join('')}</ul>\n`) +
    (opts.ipfsCid === undefined
      ? ''
      : `<h2>${e(bilingual(UI.ipfs))}</h2>\n<ul>\n<li><code>${breakable(`ipfs://${opts.ipfsCid}`)}</code></li>\n<li><code>${breakable(`/ipfs/${opts.ipfsCid}/`)}</code></li>\n</ul>\n` +
        para(UI.ipfsHelp)) +
    `<h2>${e(bilingual(UI.feeds))}</h2>\n<ul>\n` +
    FEEDS.map((f) => `<li>${e(f.name)} <code>${breakable(canonicalUrlOf(canonical, f.path))}</code></li>\n`).join('') +
    `</ul>\n`
  );
}

function timeTag(timestamp: string, date: LocalDate): string {
  return `<time datetime="${e(timestamp)}">${formatLocalDate(date)}</time>`;
}

function monthTitle(name: Bilingual): string {
  return `${name.zh} · ${name.en}`;
}

function indexPath(page: number): string {
  return `/page/${page}.html`;
}

function monthPath(year: string, month: string): string {
  return `/${year}/${month}/index.html`;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Code-unit order: the same on every machine (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
