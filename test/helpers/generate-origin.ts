// A generated Markdown origin (a folder of posts with YAML front matter and a site.yaml) of any
// size, for crash tests and benchmarks. Deterministic: the same arguments give the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A small seeded PRNG (xorshift32): fixed seeds make random tests repeatable. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const WORDS = [
  '人权',
  '自由',
  'freedom',
  'report',
  '新闻',
  'the',
  'and',
  '记录',
  'witness',
  'court',
  '律师',
  'lawyer',
  '言论',
  'press',
  '网络',
  'internet',
];

export interface GeneratedPostOptions {
  /** Approximate length of the body in characters. */
  bodyChars?: number;
  /** A revision marker: a different value gives different content for the same post. */
  revision?: number;
  /** The post's date (RFC 3339); default: one derived from i, spread over 2014-2025. */
  published?: string;
}

/** The file name of post i (sorted by name, so the order is stable). */
export function postFileName(i: number): string {
  return `post-${String(i).padStart(6, '0')}.md`;
}

/** The Markdown text of post i: English or Chinese, two tags, a date spread over 2014-2025. */
export function generatedPost(i: number, { bodyChars = 1500, revision = 0, published }: GeneratedPostOptions = {}): string {
  const rand = seededRandom(i * 7919 + 17);
  const paragraphs: string[] = [];
  let length = 0;
  while (length < bodyChars) {
    let p = '';
    while (p.length < 300) p += `${WORDS[Math.floor(rand() * WORDS.length)] ?? ''} `;
    paragraphs.push(p.trim());
    length += p.length;
  }
  const year = 2014 + (i % 12);
  const month = String((i % 12) + 1).padStart(2, '0');
  const day = String((i % 28) + 1).padStart(2, '0');
  const zh = i % 3 === 0;
  const title = zh ? `第 ${i} 篇报道` : `Report number ${i}`;
  return [
    '---',
    `title: "${title}${revision === 0 ? '' : ` (rev ${revision})`}"`,
    `date: ${published ?? `${year}-${month}-${day}T10:00:00+08:00`}`,
    `tags: [${WORDS[i % WORDS.length] ?? 'x'}, tag-${i % 20}]`,
    `lang: ${zh ? 'zh' : 'en'}`,
    '---',
    `## ${title}`,
    '',
    ...paragraphs.map((p) => `${p}\n`),
    revision === 0 ? '' : `Revision ${revision}.`,
    '',
  ].join('\n');
}

/** Write a Markdown origin of `posts` posts into dir (created if missing). */
export async function generateMarkdownOrigin(
  dir: string,
  posts: number,
  options: Omit<GeneratedPostOptions, 'revision' | 'published'> = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'site.yaml'),
    'title: 公民自由联盟 Generated test blog\nsubtitle: A generated blog for crash tests and benchmarks.\nlanguage: zh\n',
  );
  for (let i = 0; i < posts; i++) await writeFile(join(dir, postFileName(i)), generatedPost(i, options));
}

/** Write (or rewrite) post i with the given revision: a new post when i is past the end. */
export async function writeGeneratedPost(dir: string, i: number, options: GeneratedPostOptions = {}): Promise<void> {
  await writeFile(join(dir, postFileName(i)), generatedPost(i, options));
}
