// The spine end to end: both Blogger fixtures served the way Blogger serves them, built, signed,
// guarded, verified; and every kind of bad input leaves the previous snapshot exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBloggerServer, type BloggerServer } from '../helpers/blogger-server.ts';
import {
  ALTERED_ID,
  ALTERED_PATH,
  ALTERED_TITLE,
  BLOG_ID,
  CLEAN,
  COMPROMISED,
  FIRST_PATH,
  FIXTURE_SETS,
  INJECTED,
  PHOTO_PATH,
  SITE_TITLE,
  ZH_PATH,
  ZH_TITLE,
} from '../helpers/fixtures.ts';
import { withoutRegistration } from '../helpers/page-script.ts';
import { runCli } from '../helpers/run-cli.ts';
import { readTree } from '../helpers/tree.ts';
import { runBuild } from '../../src/node/build-pipeline.ts';
import { readPrivateKey } from '../../src/node/keys.ts';
import { parseManifest } from '../../src/core/manifest.ts';

/** Active content of any kind, in any fixture set. */
const ACTIVE = /<script|<iframe|javascript:|\son\w+=/i;

let work: string;
let keyDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-spine-'));
  keyDir = join(work, 'keys');
  await writeFile(
    join(work, 'mirrors.json'),
    JSON.stringify({ mirrors: [{ id: 'test', kind: 'http', url: 'https://mirror.example.org/', priority: 1 }] }),
  );
  const r = await runCli(['keygen', '--out', keyDir]);
  expect(r.code, r.err).toBe(0);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Built {
  code: number;
  report: {
    posts: number;
    files: number;
    version: number;
    quarantined: Array<{ id: string; title: string; reasons: string[] }>;
    media: { fetched: number; failed: Array<{ url: string; error: string }> };
  };
  err: string;
}

async function build(source: string, out: string, data: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Built> {
  const r = await runCli(
    [
      'build',
      '--source',
      source,
      '--out',
      out,
      '--key',
      join(keyDir, 'ferry.key'),
      '--data',
      data,
      '--mirrors',
      join(work, 'mirrors.json'),
      '--json',
      ...extra,
    ],
    { env, cwd: work },
  );
  return { code: r.code, report: r.code === 0 ? JSON.parse(r.out) : undefined, err: r.err };
}

async function serveFolder(folder: string): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    readFile(join(folder, path)).then(
      (b) => res.writeHead(200, { 'content-length': b.length }).end(b),
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { base: `http://127.0.0.1:${addr.port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('keygen', () => {
  it('writes a 0600 private key and refuses to overwrite it', async () => {
    expect((await stat(join(keyDir, 'ferry.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(keyDir, 'ferry.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const again = await runCli(['keygen', '--out', keyDir]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
  });

  it('says what is wrong with a bad flag', async () => {
    const r = await runCli(['build', '--sorce', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--sorce/);
    expect(r.err).toMatch(/Usage: ferry build/);
    expect((await runCli(['frobnicate'])).err).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('building the clean Blogger fixture', () => {
  let blogger: BloggerServer;
  let out: string;
  let built: Built;
  beforeAll(async () => {
    blogger = await startBloggerServer(CLEAN);
    out = join(work, 'clean-out');
    built = await build(`${blogger.base}/feeds/posts/default`, out, join(work, 'clean-data'));
  });
  afterAll(() => blogger.close());

  it('ingests every page and publishes every post', async () => {
    expect(built.code, built.err).toBe(0);
    expect(built.report.posts).toBe(7);
    expect(built.report.quarantined).toEqual([]);
    expect(blogger.requests.some((r) => r.includes('start-index=5'))).toBe(true);
    const files = await readTree(out);
    expect(built.report.files).toBe(files.size);
    // Old links keep working: the origin's paths are kept.
    expect(files.has(FIRST_PATH)).toBe(true);
    expect(files.has(ZH_PATH)).toBe(true);
    for (const p of ['/index.html', '/archive.html', '/about.html', '/mirrors.html', '/rss.xml', '/atom.xml', '/feed.json']) {
      expect(files.has(p), p).toBe(true);
    }
    const zh = files.get(ZH_PATH)?.toString('utf8') ?? '';
    expect(zh).toMatch(/<html lang="zh/);
    expect(zh).toContain(ZH_TITLE);
  });

  it('carries its own copies of the images and points the pages at them', async () => {
    const files = await readTree(out);
    const media = [...files.keys()].filter((p) => p.startsWith('/media/'));
    expect(media).toHaveLength(6); // 3 thumbnails + the 3 full sizes they link to
    const page = files.get(PHOTO_PATH)?.toString('utf8') ?? '';
    for (const m of media) expect(page).toContain(m);
    const original = await readFile(join(CLEAN, 'blogger/media/s320/protest-1.png'));
    expect([...files.values()].some((b) => b.equals(original))).toBe(true);
    for (const [path, bytes] of files) {
      if (path.endsWith('.html')) expect(bytes.toString('utf8'), path).not.toContain(blogger.base);
    }
    const manifest = parseManifest(files.get('/manifest.json')?.toString('utf8') ?? '');
    for (const m of media) expect(manifest.files[m]?.size).toBe(files.get(m)?.length);
  });

  it('signs a manifest that OpenSSL verifies independently and ferry verify accepts', async () => {
    const sig = Buffer.from((await readFile(join(out, 'manifest.json.sig'), 'utf8')).trim(), 'base64');
    await writeFile(join(work, 'sig.bin'), sig);
    const res = execFileSync('openssl', [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(keyDir, 'ferry.pub'),
      '-rawin',
      '-in',
      join(out, 'manifest.json'),
      '-sigfile',
      join(work, 'sig.bin'),
    ]);
    expect(res.toString()).toMatch(/Signature Verified Successfully/);
    const v = await runCli(['verify', out, '--pubkey', join(keyDir, 'ferry.pub')]);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/^OK/);
  });

  it('verifies a snapshot over HTTP', async () => {
    const server = await serveFolder(out);
    try {
      const v = await runCli(['verify', server.base, '--pubkey', join(keyDir, 'ferry.pub')]);
      expect(v.code, v.out).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('verify rejects', () => {
  let blogger: BloggerServer;
  const pub = (): string => join(keyDir, 'ferry.pub');
  beforeAll(async () => {
    blogger = await startBloggerServer(CLEAN);
  });
  afterAll(() => blogger.close());

  const fresh = async (name: string): Promise<string> => {
    const out = join(work, `verify-${name}`);
    const b = await build(`${blogger.base}/feeds/posts/default`, out, join(work, `verify-${name}-data`));
    expect(b.code, b.err).toBe(0);
    return out;
  };

  it('a changed page, naming it', async () => {
    const out = await fresh('page');
    await appendFile(join(out, 'index.html'), '<script src="https://evil.example/x.js"></script>');
    const v = await runCli(['verify', out, '--pubkey', pub()]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/\/index\.html: .*does not match/);
    expect(v.out).not.toMatch(/about\.html/);
  });

  it('a changed page served over HTTP', async () => {
    const out = await fresh('http');
    await writeFile(join(out, 'about.html'), 'defaced');
    const server = await serveFolder(out);
    try {
      const v = await runCli(['verify', server.base, '--pubkey', pub()]);
      expect(v.code).toBe(1);
      expect(v.out).toMatch(/\/about\.html/);
    } finally {
      await server.close();
    }
  });

  it('a changed manifest', async () => {
    const out = await fresh('manifest');
    const text = await readFile(join(out, 'manifest.json'), 'utf8');
    await writeFile(join(out, 'manifest.json'), text.replace(/"version": \d+/, '"version": 999'));
    const v = await runCli(['verify', out, '--pubkey', pub()]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/manifest\.json.*does not verify/);
  });

  it('a wrong key', async () => {
    const out = await fresh('key');
    const other = join(work, 'other-keys');
    expect((await runCli(['keygen', '--out', other])).code).toBe(0);
    const v = await runCli(['verify', out, '--pubkey', join(other, 'ferry.pub')]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/does not verify/);
  });

  it('a missing file and a file the manifest does not list', async () => {
    const out = await fresh('extra');
    await rm(join(out, 'about.html'));
    await writeFile(join(out, 'planted.html'), '<script>alert(1)</script>');
    const v = await runCli(['verify', out, '--pubkey', pub()]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/\/about\.html: missing/);
    expect(v.out).toMatch(/\/planted\.html: not listed/);
  });
});

describe('the compromised-origin guard', () => {
  it('publishes none of the injected content on a first build, and reports the post', async () => {
    const blogger = await startBloggerServer(COMPROMISED);
    try {
      const out = join(work, 'compromised-first');
      const b = await build(`${blogger.base}/feeds/posts/default`, out, join(work, 'compromised-first-data'));
      expect(b.code, b.err).toBe(0);
      expect(b.report.posts).toBe(6);
      expect(b.report.quarantined.map((q) => q.id)).toEqual([ALTERED_ID]);
      expect(b.report.quarantined[0]?.reasons.join(' ')).toMatch(/active content removed: .*<script> element/);
      for (const [path, bytes] of await readTree(out)) {
        expect(withoutRegistration(bytes.toString('latin1')), path).not.toMatch(INJECTED);
      }
    } finally {
      await blogger.close();
    }
  });

  it('holds back an old post the origin altered, keeps the published version, and releases it on approval', async () => {
    const blogger = await startBloggerServer(CLEAN);
    const out = join(work, 'guard-out');
    const data = join(work, 'guard-data');
    try {
      const first = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(first.code, first.err).toBe(0);
      const before = await readFile(join(out, ALTERED_PATH));

      blogger.setFolder(COMPROMISED);
      const second = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(second.code, second.err).toBe(0);
      expect(second.report.posts).toBe(7);
      expect(second.report.quarantined).toHaveLength(1);
      const q = second.report.quarantined[0];
      expect(q?.id).toBe(ALTERED_ID);
      expect(q?.title).toBe(ALTERED_TITLE);
      expect(q?.reasons.join(' ')).toMatch(/content changed since it was published/);
      expect(q?.reasons.join(' ')).toMatch(/2026-11-20T03:14:15\.123-07:00/);
      // The previously published version stays, byte for byte.
      expect((await readFile(join(out, ALTERED_PATH))).equals(before)).toBe(true);

      const approve = await runCli(['approve', ALTERED_ID, '--data', data]);
      expect(approve.code, approve.err).toBe(0);
      const third = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(third.report.quarantined).toEqual([]);
      const page = (await readFile(join(out, ALTERED_PATH))).toString('utf8');
      expect(page).toContain('More photos');
      for (const [path, bytes] of await readTree(out)) expect(withoutRegistration(bytes.toString('latin1')), path).not.toMatch(INJECTED);

      // An approval covers exactly one version: a further change is held back again.
      blogger.setFolder(CLEAN);
      const fourth = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(fourth.report.quarantined.map((x) => x.id)).toEqual([ALTERED_ID]);
    } finally {
      await blogger.close();
    }
  });

  it('holds every post when the origin declares another feed id, until a maintainer accepts it', async () => {
    // A compromised origin must not get a fresh start (nothing "published before") by renaming itself.
    const renamed = join(work, 'renamed-fixture');
    await cp(CLEAN, renamed, { recursive: true });
    for (const page of ['feed-page1.xml', 'feed-page2.xml']) {
      const file = join(renamed, 'blogger', page);
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(`<id>${BLOG_ID}</id>`, '<id>tag:blogger.com,1999:blog-666</id>'));
    }
    const blogger = await startBloggerServer(CLEAN);
    const out = join(work, 'rename-out');
    const data = join(work, 'rename-data');
    try {
      expect((await build(`${blogger.base}/feeds/posts/default`, out, data)).code).toBe(0);
      const before = await readTree(out);
      blogger.setFolder(renamed);
      const held = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(held.report.quarantined).toHaveLength(7);
      expect(held.report.quarantined[0]?.reasons.join(' ')).toMatch(/feed id changed/);
      const after = await readTree(out);
      for (const [path, bytes] of before)
        if (/\/\d{4}\/\d{2}\/[^/]+\.html$/.test(path)) expect(after.get(path)?.equals(bytes), path).toBe(true);
      // Still held on the next build: nothing was accepted.
      expect((await build(`${blogger.base}/feeds/posts/default`, out, data)).report.quarantined).toHaveLength(7);
      expect((await runCli(['approve', '--all', '--data', data])).code).toBe(0);
      expect((await build(`${blogger.base}/feeds/posts/default`, out, data)).report.quarantined).toEqual([]);
    } finally {
      await blogger.close();
    }
  });

  it('holds a change of the site title until a maintainer approves site:meta', async () => {
    const retitled = join(work, 'retitled-fixture');
    await cp(CLEAN, retitled, { recursive: true });
    for (const page of ['feed-page1.xml', 'feed-page2.xml']) {
      const file = join(retitled, 'blogger', page);
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(`<title type='text'>${SITE_TITLE}</title>`, "<title type='text'>Defaced</title>"));
    }
    const blogger = await startBloggerServer(CLEAN);
    const out = join(work, 'title-out');
    const data = join(work, 'title-data');
    try {
      expect((await build(`${blogger.base}/feeds/posts/default`, out, data)).code).toBe(0);
      blogger.setFolder(retitled);
      const held = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(held.report.quarantined.map((q) => q.id)).toEqual(['site:meta']);
      expect(held.report.quarantined[0]?.reasons.join(' ')).toContain(`title "${SITE_TITLE}" -> "Defaced"`);
      expect(await readFile(join(out, 'index.html'), 'utf8')).not.toContain('Defaced');
      expect((await runCli(['approve', 'site:meta', '--data', data])).code).toBe(0);
      const approved = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(approved.report.quarantined).toEqual([]);
      expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('Defaced');
    } finally {
      await blogger.close();
    }
  });

  it('treats post ids like __proto__ and constructor as plain ids', async () => {
    const feed = (ids: string[], text: string): string =>
      `<feed xmlns="http://www.w3.org/2005/Atom"><id>proto-blog</id><title>t</title>` +
      ids
        .map(
          (id, i) =>
            `<entry><id>${id}</id><title>${id}</title><published>2020-01-0${i + 1}T00:00:00Z</published><updated>2020-01-0${i + 1}T00:00:00Z</updated><content type="html">${text}</content></entry>`,
        )
        .join('') +
      `</feed>`;
    const ids = ['__proto__', 'constructor', 'toString'];
    let body = feed(ids, 'first');
    const blogger = await startBloggerServer(CLEAN, {
      routes: { '/proto': (_q, res) => void res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(body) },
    });
    try {
      const out = join(work, 'proto-out');
      const data = join(work, 'proto-data');
      const first = await build(`${blogger.base}/proto`, out, data);
      expect(first.code, first.err).toBe(0);
      expect(first.report.posts).toBe(3);
      body = feed(ids, 'changed');
      const second = await build(`${blogger.base}/proto`, out, data);
      expect(second.code, second.err).toBe(0);
      expect(second.report.quarantined.map((q) => q.id).sort()).toEqual([...ids].sort());
      expect((await runCli(['approve', '__proto__', '--data', data])).code).toBe(0);
      const third = await build(`${blogger.base}/proto`, out, data);
      expect(third.report.quarantined.map((q) => q.id).sort()).toEqual(['constructor', 'toString']);
    } finally {
      await blogger.close();
    }
  });

  it('refuses to approve an id that is not held back, listing what is', async () => {
    const r = await runCli(['approve', 'no-such-post', '--data', join(work, 'guard-data')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no held-back post has id no-such-post/);
  });
});

describe.each(FIXTURE_SETS)('the guard on every Blogger fixture set: $name', ({ name, clean, compromised }) => {
  it('builds the clean set with nothing held back, then holds back what the compromised set altered and publishes none of it', async () => {
    const blogger = await startBloggerServer(clean);
    const slug = name.split(' ')[0] ?? 'set';
    const out = join(work, `set-${slug}-out`);
    const data = join(work, `set-${slug}-data`);
    try {
      const first = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(first.code, first.err).toBe(0);
      expect(first.report.quarantined).toEqual([]);
      blogger.setFolder(compromised);
      const second = await build(`${blogger.base}/feeds/posts/default`, out, data);
      expect(second.code, second.err).toBe(0);
      expect(second.report.quarantined.length).toBeGreaterThan(0);
      expect(second.report.posts).toBe(first.report.posts);
      for (const [path, bytes] of await readTree(out)) expect(withoutRegistration(bytes.toString('latin1')), path).not.toMatch(ACTIVE);
    } finally {
      await blogger.close();
    }
  });
});

describe('determinism', () => {
  it('two builds of the same origin are byte-identical', async () => {
    const blogger = await startBloggerServer(CLEAN);
    try {
      const env = { SOURCE_DATE_EPOCH: '1790000000' };
      const a = await build(`${blogger.base}/feeds/posts/default`, join(work, 'det-a'), join(work, 'det-a-data'), [], env);
      const b = await build(`${blogger.base}/feeds/posts/default`, join(work, 'det-b'), join(work, 'det-b-data'), [], env);
      expect(a.code, a.err).toBe(0);
      expect(b.code, b.err).toBe(0);
      const ta = await readTree(join(work, 'det-a'));
      const tb = await readTree(join(work, 'det-b'));
      expect([...ta.keys()]).toEqual([...tb.keys()]);
      for (const [path, bytes] of ta) expect(bytes.equals(tb.get(path) ?? Buffer.alloc(0)), path).toBe(true);
      // A rebuild into the same place changes only the manifest's version/time and its signature.
      const c = await build(`${blogger.base}/feeds/posts/default`, join(work, 'det-a'), join(work, 'det-a-data'));
      expect(c.report.version).toBe(2);
      const tc = await readTree(join(work, 'det-a'));
      const changed = [...tc.keys()].filter((p) => !tc.get(p)?.equals(ta.get(p) ?? Buffer.alloc(0)));
      expect(changed).toEqual(['/manifest.json', '/manifest.json.sig']);
    } finally {
      await blogger.close();
    }
  });
});

describe('bad input leaves the previous snapshot exactly as it was', () => {
  let blogger: BloggerServer;
  let out: string;
  let data: string;
  let before: Map<string, Buffer>;
  const key = (): Promise<Uint8Array> => readPrivateKey(join(keyDir, 'ferry.key'));

  beforeAll(async () => {
    blogger = await startBloggerServer(CLEAN, {
      routes: {
        '/status-500': (_req, res) => void res.writeHead(500).end('boom'),
        '/status-404': (_req, res) => void res.writeHead(404).end('gone'),
        '/hang': () => undefined,
        '/huge': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/atom+xml' });
          res.end(`<feed xmlns="http://www.w3.org/2005/Atom">${'x'.repeat(2_000_000)}</feed>`);
        },
        '/malformed': (_req, res) =>
          void res
            .writeHead(200, { 'content-type': 'application/atom+xml' })
            .end('<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>oops</entry></feed>'),
        '/empty': (_req, res, base) =>
          void res
            .writeHead(200, { 'content-type': 'application/atom+xml' })
            .end(`<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><link rel="self" href="${base}/empty"/></feed>`),
        '/loop': (_req, res, base) =>
          void res
            .writeHead(200, { 'content-type': 'application/atom+xml' })
            .end(
              `<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><link rel="next" href="${base}/loop"/>` +
                `<entry><id>e1</id><title>t</title><published>2020-01-01T00:00:00Z</published><updated>2020-01-01T00:00:00Z</updated><content type="html">hi</content></entry></feed>`,
            ),
        '/html': (_req, res) =>
          void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>hello</body></html>'),
      },
    });
    out = join(work, 'bad-out');
    data = join(work, 'bad-data');
    const ok = await build(`${blogger.base}/feeds/posts/default`, out, data);
    expect(ok.code, ok.err).toBe(0);
    before = await readTree(out);
  });
  afterAll(() => blogger.close());

  const closedPort = async (): Promise<string> => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const addr = s.address();
    await new Promise((r) => s.close(r));
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    return `http://127.0.0.1:${addr.port}/feed`;
  };

  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['an unreachable origin', closedPort, /cannot connect \(ECONNREFUSED\)/],
    ['HTTP 500', async () => `${blogger.base}/status-500`, /HTTP 500/],
    ['HTTP 404', async () => `${blogger.base}/status-404`, /HTTP 404/],
    ['a hanging server', async () => `${blogger.base}/hang`, /no complete answer within 300 ms/],
    ['a huge response', async () => `${blogger.base}/huge`, /over the limit of 1000000 bytes/],
    ['malformed XML', async () => `${blogger.base}/malformed`, /malformed XML at line 1, column \d+/],
    ['an empty feed', async () => `${blogger.base}/empty`, /no entries/],
    ['a next link that loops', async () => `${blogger.base}/loop`, /rel="next" loops back .*already fetched/],
    ['a page that is not a feed', async () => `${blogger.base}/html`, /not an Atom or RSS feed/],
  ];

  for (const [name, url, message] of cases) {
    it(name, async () => {
      const source = await url();
      await expect(
        runBuild({
          source,
          out,
          dataDir: data,
          privateKey: await key(),
          mirrors: [],
          sourceLimits: { timeoutMs: 300, maxBytes: 1_000_000 },
        }),
      ).rejects.toThrow(message);
      try {
        await runBuild({
          source,
          out,
          dataDir: data,
          privateKey: await key(),
          mirrors: [],
          sourceLimits: { timeoutMs: 300, maxBytes: 1_000_000 },
        });
      } catch (e) {
        expect((e as Error).message).toContain(source.replace(/\/$/, '').split('/').slice(0, 3).join('/'));
      }
      const after = await readTree(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [p, b] of before) expect(after.get(p)?.equals(b), p).toBe(true);
    });
  }

  it('the CLI prints the error naming the URL and exits 1', async () => {
    const source = `${blogger.base}/status-500`;
    const r = await build(source, out, data);
    expect(r.code).toBe(1);
    expect(r.err).toContain(source);
    expect(r.err).toMatch(/HTTP 500/);
  });
});
