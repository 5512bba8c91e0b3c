// The Markdown folder source: the bundled example blog, front matter rules, and errors that name
// the file and the field.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/ports/source.ts';
import { parseMarkdownPost } from '../../src/adapters/sources/markdown-source.ts';
import { openSource } from '../../src/adapters/sources/open-source.ts';
import { entryDigestOf } from '../../src/adapters/node/native-crypto.ts';

let scratch = '';
let counter = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-markdown-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes the files into a fresh folder and returns its path. */
async function folderWith(files: Record<string, string>, name = `blog-${++counter}`): Promise<string> {
  const folder = join(scratch, name);
  await mkdir(folder, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
  return folder;
}

async function readError(location: string): Promise<SourceError> {
  try {
    await openSource(location).read();
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
  throw new Error(`reading ${location} succeeded, expected a SourceError`);
}

const identity = (md: string): string => md;
const post = (frontMatter: string, body = 'Body'): string => `---\n${frontMatter}\n---\n${body}\n`;

describe('the bundled example blog (examples/posts)', () => {
  it('reads every post with its site metadata', async () => {
    const { meta, entries, location } = await openSource('examples/posts').read();
    expect(location).toBe('examples/posts');
    expect(meta).toEqual({
      id: 'markdown:posts',
      title: '公民自由联盟 Coalition for Citizens Rights (example)',
      subtitle: expect.stringContaining('Working for freedom of speech'),
      originUrl: '',
      language: 'zh',
    });
    expect(meta.subtitle).toContain('网络自由');
    // Sorted by file name; ids default to markdown:<slug>, slugs to the file stem.
    expect(entries.map((e) => e.id)).toEqual([
      'markdown:how-to-read-through-mirrors',
      'markdown:is-this-mirror-genuine',
      'markdown:subscribe-with-rss',
      'markdown:welcome',
      'markdown:why-internet-freedom-matters',
    ]);
    const mirrors = entries[0];
    expect(mirrors).toMatchObject({
      title: '如何通过镜像阅读本博客',
      published: '2024-02-03T20:30:00+08:00',
      updated: '2024-02-03T20:30:00+08:00',
      tags: ['使用指南', '镜像'],
      language: 'zh',
      originUrl: '',
      authors: [],
    });
    expect(mirrors?.html).toContain('<ol>');
    expect(mirrors?.html).toContain('<strong>镜像</strong>');
    expect(entries[2]?.updated).toBe('2024-03-12T18:45:00+08:00');
    expect(entries[1]?.language).toBeUndefined();
    expect(entries.filter((e) => e.language === 'en').map((e) => e.id)).toEqual([
      'markdown:welcome',
      'markdown:why-internet-freedom-matters',
    ]);
  });
});

describe('front matter', () => {
  it.each([
    ['2016-06-08', '2016-06-08T00:00:00Z'],
    ['2016-06-08T21:03:00.000-07:00', '2016-06-08T21:03:00.000-07:00'],
    ['"2016-06-08T21:03:00+08:00"', '2016-06-08T21:03:00+08:00'],
    ['2016-06-08 21:03', '2016-06-08T21:03:00Z'],
    ['2016-06-08T21:03+08:00', '2016-06-08T21:03:00+08:00'],
    ['2016-06-08 21:03:00 +0800', '2016-06-08T21:03:00+08:00'],
    ['!!timestamp 2016-06-08T21:03:00+08:00', '2016-06-08T13:03:00Z'],
  ])('date: %s is %s', (written, expected) => {
    // A YAML 1.1 !!timestamp arrives as a Date: it becomes UTC.
    const entry = parseMarkdownPost(post(`title: T\ndate: ${written}`), 'x.md', identity);
    expect(entry.published).toBe(expected);
    expect(entry.updated).toBe(expected);
  });

  it('takes id, slug, tags, authors and lang when given, and renders the body with marked', () => {
    const text = post(
      'title: "Hello: world"\ndate: 2024-01-01\nid: legacy-42\nslug: hello\ntags: [RSS, RSS, 翻墙]\nauthor: 编辑部\nlang: zh-Hant',
      '# Heading\n\nSome *text*.',
    );
    const entry = parseMarkdownPost(text, 'dir/2024-hello.md', (md) => `<rendered>${md.trim()}</rendered>`);
    expect(entry).toEqual({
      id: 'legacy-42',
      title: 'Hello: world',
      published: '2024-01-01T00:00:00Z',
      updated: '2024-01-01T00:00:00Z',
      authors: ['编辑部'],
      tags: ['RSS', '翻墙'],
      language: 'zh-Hant',
      html: '<rendered># Heading\n\nSome *text*.</rendered>',
      originUrl: '',
    });
    expect(parseMarkdownPost(post('title: T\ndate: 2024-01-01\nslug: hello'), 'x.md', identity).id).toBe('markdown:hello');
  });

  it.each([
    [post('date: 2024-01-01'), 'front matter: title is missing'],
    [post('title: "  "\ndate: 2024-01-01'), 'front matter: title is missing'],
    [post('title: T'), 'front matter: date is missing (for example date: 2016-06-08T21:03:00+08:00)'],
    [
      post('title: T\ndate: next tuesday'),
      'front matter: date "next tuesday" is not a date such as 2016-06-08 or 2016-06-08T21:03:00+08:00',
    ],
    [post('title: T\ndate: 2024-02-30'), 'front matter: date "2024-02-30" is not a date such as 2016-06-08 or 2016-06-08T21:03:00+08:00'],
    [
      post('title: T\ndate: 2024-01-01\nupdated: 2024-13-01T00:00:00Z'),
      'front matter: updated "2024-13-01T00:00:00Z" is not a date such as 2016-06-08 or 2016-06-08T21:03:00+08:00',
    ],
    [post('title: T\ndate: 2024-01-01\ntags: {a: 1}'), 'front matter: tags must be a list of text, e.g. tags: [RSS, 翻墙]'],
    [post('title: [a, b]\ndate: 2024-01-01'), 'front matter: title must be text'],
    [
      post('title: T\ndate: 2024-01-01\nslug: 你好'),
      "front matter: slug \"你好\" may only use letters, digits, '.', '_' and '-' (set slug: to choose one)",
    ],
    [
      post('title: T\ndate: 2024-01-01\nlang: chinese simplified'),
      'front matter: lang "chinese simplified" is not a language tag such as zh or en',
    ],
    [post('title: T\ndate: 2024-01-01\ntitle: again'), 'front matter: YAML error at line 4, column 1: Map keys must be unique'],
    ['# No front matter\n', 'front matter: missing (the file must start with a --- line, the YAML fields, then another --- line)'],
    [post('- a\n- b'), 'front matter: expected "key: value" lines'],
  ])('rejects %j with "%s"', (text, problem) => {
    expect(() => parseMarkdownPost(text, 'examples/posts/x.md', identity)).toThrow(new SourceError('examples/posts/x.md', problem));
    expect(() => parseMarkdownPost(text, 'examples/posts/x.md', identity)).toThrow(`examples/posts/x.md: ${problem}`);
  });
});

describe('Markdown folders', () => {
  it('uses site.yaml defaults, ignores other files and names the failing file', async () => {
    const folder = await folderWith(
      { 'b.md': post('title: B\ndate: 2024-01-02'), 'a.md': post('title: A\ndate: 2024-01-01'), 'notes.txt': 'x', 'c.markdown': 'x' },
      'my-blog',
    );
    const { meta, entries } = await openSource(folder).read();
    expect(meta).toEqual({ id: 'markdown:my-blog', title: 'my-blog', subtitle: '', originUrl: '', language: 'zh' });
    expect(entries.map((e) => e.title)).toEqual(['A', 'B']);
    expect(entries[0]?.html).toBe('<p>Body</p>\n');

    await writeFile(join(folder, 'c.md'), post('date: 2024-01-03'));
    expect((await readError(folder)).message).toBe(`${join(folder, 'c.md')}: front matter: title is missing`);
  });

  it('refuses an empty folder, duplicate ids, bad site.yaml and non-UTF-8 files', async () => {
    const empty = await folderWith({ 'README.txt': 'nothing here' });
    expect((await readError(empty)).message).toBe(`${empty}: folder has no .md posts (refusing to treat the blog as empty)`);

    const twins = await folderWith({
      'a.md': post('title: A\ndate: 2024-01-01\nid: same'),
      'b.md': post('title: B\ndate: 2024-01-01\nid: same'),
    });
    expect((await readError(twins)).message).toBe(`${join(twins, 'b.md')}: id "same" is already used by ${join(twins, 'a.md')}`);

    const site = await folderWith({ 'a.md': post('title: A\ndate: 2024-01-01'), 'site.yaml': 'title: [x]\n' });
    expect((await readError(site)).message).toBe(`${join(site, 'site.yaml')}: site.yaml: title must be text`);

    const latin1 = await folderWith({ 'a.md': '' });
    await writeFile(join(latin1, 'a.md'), Uint8Array.from([0x2d, 0x2d, 0x2d, 0x0a, 0xe9, 0xff]));
    expect((await readError(latin1)).message).toBe(`${join(latin1, 'a.md')}: not valid UTF-8 text`);
  });

  it('does not read again a file that is as indexed when the caller holds its entry', async () => {
    const folder = await folderWith({ 'a.md': post('title: A\ndate: 2024-01-01'), 'b.md': post('title: B\ndate: 2024-01-02') });
    const indexFile = join(scratch, `index-${++counter}.json`);
    const past = new Date(Date.now() - 60_000);
    for (const name of ['a.md', 'b.md']) await utimes(join(folder, name), past, past);
    const digests = new Map<string, string>();
    const first = await openSource(folder, { indexFile }).read({ reusable: () => true });
    expect(first.entries.map((e) => e.id)).toEqual(['markdown:a', 'markdown:b']);
    expect(first.unchanged).toBeUndefined();
    for (const e of first.entries) digests.set(e.id, entryDigestOf(e));

    // The caller holds both: nothing is read; the stubs carry the digests of the entries read before.
    const asked: string[] = [];
    const second = await openSource(folder, { indexFile }).read({
      reusable: ({ location }, id, digest) => {
        asked.push(`${location === folder}:${id}`);
        return digests.get(id) === digest;
      },
    });
    expect(second.entries).toEqual([]);
    expect(second.unchanged).toEqual([...digests].map(([id, digest]) => ({ id, digest })));
    expect(asked).toEqual(['true:markdown:a', 'true:markdown:b']);

    // The caller does not hold b: b is read; an index that is not JSON is ignored and rewritten.
    const third = await openSource(folder, { indexFile }).read({ reusable: (_o, id) => id !== 'markdown:b' });
    expect(third.entries.map((e) => e.id)).toEqual(['markdown:b']);
    await writeFile(indexFile, '{"format": broken');
    const fourth = await openSource(folder, { indexFile }).read({ reusable: () => true });
    expect(fourth.entries.map((e) => e.id)).toEqual(['markdown:a', 'markdown:b']);
    expect((await openSource(folder, { indexFile }).read({ reusable: () => true })).entries).toEqual([]);

    // A file just written is read again next time too: its time may not tell a second change.
    await writeFile(join(folder, 'c.md'), post('title: C\ndate: 2024-01-03'));
    for (let i = 0; i < 2; i++) {
      const again = await openSource(folder, { indexFile }).read({ reusable: () => true });
      expect(again.entries.map((e) => e.id)).toEqual(['markdown:c']);
    }
    // Without an index every file is read.
    expect((await openSource(folder).read({ reusable: () => true })).entries).toHaveLength(3);
  });
});
