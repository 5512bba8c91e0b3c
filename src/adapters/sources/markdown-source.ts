// A folder of Markdown posts: every *.md file (sorted by name) with YAML front matter, plus an
// optional site.yaml. Errors name the file and the field, e.g.
// "examples/posts/x.md: front matter: title is missing".
import { readdir, readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { Marked } from 'marked';
import { LineCounter, parseDocument } from 'yaml';
import { isRecord } from '../../core/is-record.ts';
import type { OriginSnapshot, RawEntry, SiteMeta, UnchangedEntry } from '../../core/model.ts';
import { SourceError, type OriginSource, type ReadOptions } from '../../ports/source.ts';
import { entryDigestOf } from '../node/native-crypto.ts';
import { writeFileAtomic } from '../node/atomic-file.ts';
import { toSourceError } from './source-error.ts';
import { isRfc3339 } from './xml.ts';

export interface MarkdownSourceOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  onProgress?: (msg: string) => void;
  /**
   * Where to remember, between reads, each file's size, times and inode with the id and digest
   * of the entry read from it (a file in Ferry's data folder). With it, a file that has not
   * changed and whose entry the caller already holds (ReadOptions.reusable) is not read again.
   */
  indexFile?: string;
  /** Clock for the index, ms since 1970 (a file modified within the last 2 s is not indexed). */
  now?: () => number;
}

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const READ_CONCURRENCY = 16;
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

export function createMarkdownSource(
  folder: string,
  { maxBytes, onProgress, indexFile, now = Date.now }: MarkdownSourceOptions,
): OriginSource {
  return {
    async read(options: ReadOptions = {}): Promise<OriginSnapshot> {
      let names: string[];
      try {
        names = (await readdir(folder, { withFileTypes: true }))
          .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.md'))
          .map((d) => d.name)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      } catch (e) {
        throw toSourceError(e, folder);
      }
      const meta = await readSiteMeta(folder, maxBytes);
      if (names.length === 0) throw new SourceError(folder, 'folder has no .md posts (refusing to treat the blog as empty)');
      const scanned = now();
      const index = indexFile === undefined ? new Map<string, IndexedFile>() : await loadIndex(indexFile);
      const nextIndex = new Map<string, IndexedFile>();
      const origin = { meta, location: folder };
      const unchanged: UnchangedEntry[] = [];
      const fileOfId = new Map<string, string>();
      const claim = (id: string, file: string): void => {
        const clash = fileOfId.get(id);
        if (clash !== undefined) throw new SourceError(file, `id "${id}" is already used by ${clash}`);
        fileOfId.set(id, file);
      };
      // A file is taken as unchanged only when its size, both times and its inode are as indexed
      // and the caller holds its entry; anything else is read and parsed.
      const toRead: Array<{ name: string; file: string; stat: FileStat }> = [];
      for (const name of names) {
        const file = join(folder, name);
        let info;
        try {
          info = statSync(file);
        } catch (e) {
          throw toSourceError(e, file);
        }
        const stat: FileStat = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
        const known = index.get(name);
        if (known !== undefined && sameStat(known, stat) && options.reusable?.(origin, known.id, known.digest) === true) {
          claim(known.id, file);
          unchanged.push({ id: known.id, digest: known.digest });
          nextIndex.set(name, known);
        } else {
          toRead.push({ name, file, stat });
        }
      }
      const marked = new Marked({ gfm: true, async: false });
      // Read with bounded concurrency (one file at a time leaves the disk idle between requests),
      // parse in name order.
      const texts = new Array<string>(toRead.length);
      let next = 0;
      const reader = async (): Promise<void> => {
        for (let i = next++; i < toRead.length; i = next++) {
          const job = toRead[i];
          if (job !== undefined) texts[i] = await readText(job.file, maxBytes);
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, toRead.length) }, reader));
      const entries: RawEntry[] = [];
      for (const [i, job] of toRead.entries()) {
        const entry = parseMarkdownPost(texts[i] ?? '', job.file, (md) => marked.parse(md, { async: false }));
        texts[i] = '';
        claim(entry.id, job.file);
        entries.push(entry);
        // A file changed within the last 2 s could change again within the same time tick
        // unnoticed: it is read again next time instead of being indexed now.
        if (job.stat.mtimeMs < scanned - 2000) {
          nextIndex.set(job.name, { ...job.stat, id: entry.id, digest: entryDigestOf(entry) });
        }
      }
      if (indexFile !== undefined && !sameIndex(index, nextIndex)) await saveIndex(indexFile, nextIndex);
      onProgress?.(
        `read ${entries.length} Markdown posts from ${folder}` +
          (unchanged.length > 0 ? ` (${unchanged.length} more unchanged since they were published)` : ''),
      );
      return { meta, entries, location: folder, ...(unchanged.length > 0 ? { unchanged } : {}) };
    },
  };
}

interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

interface IndexedFile extends FileStat {
  id: string;
  digest: string;
}

/**
 * The index is valid only for the parser that made it: a new Markdown or YAML library version may
 * read the same file differently, and then every file is read again.
 */
const INDEX_FORMAT = `ferry-markdown-index/1 marked@${packageVersion('marked')} yaml@${packageVersion('yaml')}`;

function packageVersion(name: string): string {
  try {
    const { version } = createRequire(import.meta.url)(`${name}/package.json`) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

function sameIndex(a: ReadonlyMap<string, IndexedFile>, b: ReadonlyMap<string, IndexedFile>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, x] of b) {
    const y = a.get(name);
    if (y === undefined || !sameStat(x, y) || x.id !== y.id || x.digest !== y.digest) return false;
  }
  return true;
}

// The index last loaded or saved, while its file stays as it was (same inode, size and time): a
// build thread kept between builds does not parse it again.
let lastIndex: { file: string; stamp: string; index: ReadonlyMap<string, IndexedFile> } | undefined;

async function stampOf(file: string): Promise<string> {
  const info = await stat(file);
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** The index, or an empty one when it is missing or damaged (every file is then read again). */
async function loadIndex(file: string): Promise<Map<string, IndexedFile>> {
  const index = new Map<string, IndexedFile>();
  let raw: unknown;
  try {
    const stamp = await stampOf(file);
    if (lastIndex !== undefined && lastIndex.file === file && lastIndex.stamp === stamp) return new Map(lastIndex.index);
    raw = JSON.parse(await readFile(file, 'utf8'));
    const parsed = parseIndex(raw);
    lastIndex = { file, stamp, index: parsed };
    return new Map(parsed);
  } catch {
    return index;
  }
}

function parseIndex(raw: unknown): Map<string, IndexedFile> {
  const index = new Map<string, IndexedFile>();
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !('format' in raw) ||
    raw.format !== INDEX_FORMAT ||
    !('files' in raw) ||
    !Array.isArray(raw.files)
  ) {
    return index;
  }
  for (const row of raw.files as unknown[]) {
    if (!Array.isArray(row) || row.length !== 7) return new Map();
    const [name, size, mtimeMs, ctimeMs, ino, id, digest] = row as unknown[];
    if (
      typeof name !== 'string' ||
      typeof size !== 'number' ||
      typeof mtimeMs !== 'number' ||
      typeof ctimeMs !== 'number' ||
      typeof ino !== 'number' ||
      typeof id !== 'string' ||
      typeof digest !== 'string' ||
      !/^[0-9a-f]{64}$/.test(digest)
    ) {
      return new Map();
    }
    index.set(name, { size, mtimeMs, ctimeMs, ino, id, digest });
  }
  return index;
}

async function saveIndex(file: string, index: ReadonlyMap<string, IndexedFile>): Promise<void> {
  const files = [...index].map(([name, f]) => [name, f.size, f.mtimeMs, f.ctimeMs, f.ino, f.id, f.digest]);
  // A cache: not synced (a torn index is ignored and every file read again).
  await writeFileAtomic(file, `${JSON.stringify({ format: INDEX_FORMAT, files })}\n`, 0o644, { durable: false });
  lastIndex = { file, stamp: await stampOf(file), index: new Map(index) };
}

async function readText(file: string, maxBytes: number): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (info.size > maxBytes) throw new SourceError(file, `file of ${info.size} bytes is over the limit of ${maxBytes}`);
    bytes = await readFile(file);
  } catch (e) {
    throw toSourceError(e, file);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SourceError(file, 'not valid UTF-8 text');
  }
}

async function readSiteMeta(folder: string, maxBytes: number): Promise<SiteMeta> {
  const name = basename(folder.replace(/[\\/]+$/, '')) || folder;
  const file = join(folder, 'site.yaml');
  let text: string | undefined;
  try {
    text = await readText(file, maxBytes);
  } catch (e) {
    if (!(e instanceof SourceError && e.message.endsWith('no such file or folder'))) throw e;
  }
  const data = text === undefined ? {} : parseYamlMapping(text, file, 'site.yaml');
  const field = (key: string): string | undefined => optionalString(data, key, file, 'site.yaml');
  const language = field('language') ?? 'zh';
  if (!LANGUAGE_TAG.test(language)) throw new SourceError(file, `site.yaml: language "${language}" is not a language tag such as zh or en`);
  return {
    id: field('id') ?? `markdown:${name}`,
    title: field('title') ?? name,
    subtitle: field('subtitle') ?? '',
    originUrl: field('url') ?? '',
    language,
  };
}

/**
 * One Markdown post: front matter between --- lines, then the body. `render` turns Markdown into
 * HTML. Exported for unit tests.
 */
export function parseMarkdownPost(text: string, file: string, render: (markdown: string) => string): RawEntry {
  const match = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (match === null)
    throw new SourceError(file, 'front matter: missing (the file must start with a --- line, the YAML fields, then another --- line)');
  const data = parseYamlMapping(match[1] ?? '', file, 'front matter', 2);
  const body = text.slice(match[0].length);
  const where = 'front matter';
  const stem = basename(file).replace(/\.md$/i, '');

  const title = optionalString(data, 'title', file, where);
  if (title === undefined || title.trim() === '') throw new SourceError(file, `${where}: title is missing`);
  const published = readDate(data, 'date', file);
  if (published === undefined) throw new SourceError(file, `${where}: date is missing (for example date: 2016-06-08T21:03:00+08:00)`);
  const updated = readDate(data, 'updated', file) ?? published;
  const slug = optionalString(data, 'slug', file, where) ?? stem;
  if (!SLUG.test(slug)) {
    throw new SourceError(file, `${where}: slug "${slug}" may only use letters, digits, '.', '_' and '-' (set slug: to choose one)`);
  }
  const lang = optionalString(data, 'lang', file, where);
  if (lang !== undefined && !LANGUAGE_TAG.test(lang))
    throw new SourceError(file, `${where}: lang "${lang}" is not a language tag such as zh or en`);
  const author = optionalString(data, 'author', file, where);
  const authors = [...stringList(data, 'authors', file), ...(author === undefined ? [] : [author])];

  const entry: RawEntry = {
    id: optionalString(data, 'id', file, where) ?? `markdown:${slug}`,
    title: title.trim(),
    published,
    updated,
    authors: [...new Set(authors.map((a) => a.trim()).filter((a) => a !== ''))],
    tags: [
      ...new Set(
        stringList(data, 'tags', file)
          .map((t) => t.trim())
          .filter((t) => t !== ''),
      ),
    ],
    html: render(body),
    originUrl: '',
  };
  if (lang !== undefined) entry.language = lang;
  return entry;
}

/** `firstLine` is the file's line number of the YAML's first line, so errors point into the file. */
function parseYamlMapping(text: string, file: string, where: string, firstLine = 1): Record<string, unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new SourceError(
      file,
      `${where}: YAML error at line ${line + firstLine - 1}, column ${col}: ${error.message.split('\n')[0] ?? ''}`,
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) throw new SourceError(file, `${where}: expected "key: value" lines`);
  return data;
}

/** A YAML mapping (YAML dates are objects too, but not mappings). */
function isMapping(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && !(value instanceof Date);
}

function optionalString(data: Record<string, unknown>, key: string, file: string, where: string): string | undefined {
  const value = data[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new SourceError(file, `${where}: ${key} must be text`);
}

function stringList(data: Record<string, unknown>, key: string, file: string): string[] {
  const value = data[key];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  throw new SourceError(file, `front matter: ${key} must be a list of text, e.g. ${key}: [RSS, 翻墙]`);
}

/**
 * A front matter date as RFC 3339. Strings keep the offset they were written with; a date alone
 * (2016-06-08) or a time without offset is taken as UTC; a YAML timestamp (a Date) becomes UTC.
 */
function readDate(data: Record<string, unknown>, key: string, file: string): string | undefined {
  const value = data[key];
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new SourceError(file, `front matter: ${key} is not a valid date`);
    return value.toISOString().replace('.000Z', 'Z');
  }
  if (typeof value !== 'string')
    throw new SourceError(file, `front matter: ${key} must be a date such as 2016-06-08 or 2016-06-08T21:03:00+08:00`);
  // "2016-06-08 21:03:00 +0800" (Jekyll, Hugo) -> "2016-06-08 21:03:00+08:00"
  const text = value.trim().replace(/\s*([+-]\d{2}):?(\d{2})$/, (_m, h: string, m: string) => `${h}:${m}`);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : undefined;
  const noOffset = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? toSeconds(text) + 'Z' : undefined;
  const candidate = (dateOnly ?? noOffset ?? toSeconds(text)).replace(' ', 'T');
  if (!isRfc3339(candidate)) {
    throw new SourceError(file, `front matter: ${key} "${text}" is not a date such as 2016-06-08 or 2016-06-08T21:03:00+08:00`);
  }
  return candidate;
}

/** Adds ":00" seconds to "2016-06-08T21:03" / "2016-06-08T21:03+08:00". */
function toSeconds(text: string): string {
  return text.replace(/^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2})(?=$|[Zz+-])/, '$1:00');
}
