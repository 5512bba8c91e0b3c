// What a newcomer meets in the first hour with the CLI, on real `ferry build --out` results:
// commands take the out link, key mix-ups are named, the build says which config, mirror list
// and canonical it used, and `ferry verify --state` refuses a rollback.
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { buildSnapshot, type BuiltSnapshot } from '../helpers/built-snapshot.ts';
import { startFakeKvApi } from '../helpers/fake-kv-api.ts';

let dir: string;
let built: BuiltSnapshot;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-first-hour-'));
  built = await buildSnapshot(join(dir, 'blog'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('commands take the snapshot link `ferry build --out` made', () => {
  it('the out folder is a link to a versioned folder', async () => {
    expect(await realpath(built.out)).not.toBe(built.out);
  });

  it('ferry car', async () => {
    const viaLink = await runCli(['car', built.out, '--out', join(dir, 'link.car'), '--json']);
    expect(viaLink.code, viaLink.err).toBe(0);
    const direct = await runCli(['car', await realpath(built.out), '--out', join(dir, 'direct.car'), '--json']);
    expect(direct.code, direct.err).toBe(0);
    expect(JSON.parse(viaLink.out)).toEqual(JSON.parse(direct.out));
    expect(await readFile(join(dir, 'link.car'))).toEqual(await readFile(join(dir, 'direct.car')));
  });

  it('ferry verify', async () => {
    const r = await runCli(['verify', built.out, '--pubkey', built.pubFile]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^OK: .*site \(-> .*\.site\.versions\/v1-[0-9a-f]+\): version 1, \d+ files match/);
  });

  it('a missing folder is still named', async () => {
    const r = await runCli(['car', join(dir, 'nope'), '--out', join(dir, 'x.car')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such folder');
  });
});

describe('a key passed where the other one belongs', () => {
  const privateAsPublic = /this is a private key; pass the public key \(ferry\.pub\)/;
  let b64File: string;
  beforeAll(async () => {
    // The base64 form: the PEM's body line alone (the DER of the PKCS#8 key).
    const pem = await readFile(built.keyFile, 'utf8');
    b64File = join(dir, 'private.b64');
    await writeFile(b64File, `${pem.split('\n')[1] ?? ''}\n`);
    await writeFile(join(dir, 'mirrors.json'), JSON.stringify({ mirrors: [{ id: 'a', kind: 'directory', path: built.out }] }));
  });

  it.each([
    ['verify, PEM', () => ['verify', built.out, '--pubkey', built.keyFile]],
    ['verify, base64', () => ['verify', built.out, '--pubkey', b64File]],
    ['edge, PEM', () => ['edge', '--mirrors', join(dir, 'mirrors.json'), '--pubkey', built.keyFile, '--data', join(dir, 'edge')]],
    ['edge, base64', () => ['edge', '--mirrors', join(dir, 'mirrors.json'), '--pubkey', b64File, '--data', join(dir, 'edge')]],
  ])('--pubkey given the private key (%s) says so', async (_name, args) => {
    const r = await runCli(args());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(privateAsPublic);
    expect(r.err).not.toContain('not an ed25519 key');
  });

  it('--key given the public key says so', async () => {
    const r = await runCli(['build', '--source', join(dir, 'blog', 'posts'), '--out', join(dir, 'other'), '--key', built.pubFile]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('this is a public key; pass the private key (ferry.key');
  });
});

describe('ferry build says which config, mirror list and canonical it used', () => {
  let checkout: string;
  beforeAll(async () => {
    // A folder laid out like the checkout: ferry.config.json and mirrors/mirrors.json.
    checkout = join(dir, 'checkout');
    await mkdir(join(checkout, 'mirrors'), { recursive: true });
    await cp(join(dir, 'blog', 'posts'), join(checkout, 'posts'), { recursive: true });
    await writeFile(join(checkout, 'ferry.config.json'), JSON.stringify({ source: 'posts', data: 'state' }));
    await writeFile(
      join(checkout, 'mirrors', 'mirrors.json'),
      JSON.stringify({
        mirrors: [
          { id: 'second', kind: 'http', url: 'https://b.example.org/', priority: 2 },
          { id: 'local', kind: 'http', url: 'http://127.0.0.1:8787/', priority: 1 },
        ],
      }),
    );
  });

  it('on the first progress line, picked up from the current folder', async () => {
    const r = await runCli(['build', '--out', join(checkout, 'site'), '--key', built.keyFile, '--media-host', '127.0.0.1'], {
      cwd: checkout,
    });
    expect(r.code, r.err).toBe(0);
    const first = r.err.split('\n')[0] ?? '';
    expect(first).toBe(
      `[config] config ${join(checkout, 'ferry.config.json')}; mirrors ${join(checkout, 'mirrors', 'mirrors.json')} (2 with a URL); ` +
        `canonical http://127.0.0.1:8787/ (first mirror 'local' in ${join(checkout, 'mirrors', 'mirrors.json')})`,
    );
  });

  it('as fields of --json', async () => {
    const r = await runCli(
      ['build', '--out', join(checkout, 'site'), '--key', built.keyFile, '--canonical', 'https://blog.example.org', '--json'],
      { cwd: checkout },
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      configFile: join(checkout, 'ferry.config.json'),
      mirrorsFile: join(checkout, 'mirrors', 'mirrors.json'),
      canonical: 'https://blog.example.org/',
      canonicalFrom: '--canonical',
    });
  });

  it('and when there is nothing to pick up', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const r = await runCli(
      [
        'build',
        '--source',
        join(checkout, 'posts'),
        '--out',
        join(empty, 'site'),
        '--key',
        built.keyFile,
        '--data',
        join(empty, 'd'),
        '--json',
      ],
      { cwd: empty },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err.split('\n')[0]).toBe(
      `[config] config none (defaults); mirrors none (${join(empty, 'mirrors', 'mirrors.json')} not found); ` +
        'canonical http://127.0.0.1:8787/ (default: no mirror listed; pass --canonical or --mirrors)',
    );
    expect(JSON.parse(r.out)).toMatchObject({ configFile: null, mirrorsFile: null, canonical: 'http://127.0.0.1:8787/' });
  });
});

describe('ferry verify URL --state FILE remembers the highest version', () => {
  let server: Server;
  let root = '';
  let url: string;
  const versions: string[] = [];
  beforeAll(async () => {
    // Version 1, then version 2 (a new post) of the same blog, each in its own folder.
    const blog = join(dir, 'versions');
    const one = await buildSnapshot(blog);
    versions.push(await realpath(one.out));
    await buildSnapshot(blog, { posts: { 'new.md': '---\ntitle: New\ndate: 2016-07-01T00:00:00Z\n---\nA new post.\n' } });
    versions.push(await realpath(one.out));
    expect(versions[0]).not.toBe(versions[1]);
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      readFile(join(root, path)).then(
        (b) => res.writeHead(200, { 'content-length': b.length }).end(b),
        () => res.writeHead(404).end('not found'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('accepts version 1 then 2, then refuses 1 (rollback); without --state it would pass', async () => {
    const state = join(dir, 'verify-state.json');
    const pub = join(dir, 'versions', 'keys', 'ferry.pub');
    const verify = (...extra: string[]) => runCli(['verify', url, '--pubkey', pub, ...extra]);

    root = versions[0] ?? '';
    const v1 = await verify('--state', state);
    expect(v1.code, v1.out).toBe(0);
    expect(v1.out).toContain('version 1');
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ format: 'ferry-verify-state/1', version: 1, location: url });

    root = versions[1] ?? '';
    const v2 = await verify('--state', state);
    expect(v2.code, v2.out).toBe(0);
    expect(v2.out).toContain('version 2');
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ version: 2 });

    root = versions[0] ?? '';
    const back = await verify('--state', state);
    expect(back.code).toBe(1);
    expect(back.out).toContain('manifest version 1 is older than version 2 already accepted (rollback)');
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ version: 2 });
    expect((await verify()).code).toBe(0);
  });

  it('a state file for another key is refused, not overwritten', async () => {
    const state = join(dir, 'other-key-state.json');
    const text = JSON.stringify({ format: 'ferry-verify-state/1', key: '0123456789abcdef', version: 9, location: url, seen: '' });
    await writeFile(state, text);
    root = versions[1] ?? '';
    const r = await runCli(['verify', url, '--pubkey', join(dir, 'versions', 'keys', 'ferry.pub'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('remembers versions signed by key 0123456789abcdef');
    expect(await readFile(state, 'utf8')).toBe(text);
  });

  it('an expired manifest is refused, state or not', async () => {
    const old = join(dir, 'expired');
    const made = await buildSnapshot(old, { args: ['--expires-days', '1'] });
    // Built "two days ago": SOURCE_DATE_EPOCH sets the creation time the expiry counts from.
    const expired = await runCli(
      [
        'build',
        '--source',
        join(old, 'posts'),
        '--out',
        join(old, 'site'),
        '--key',
        made.keyFile,
        '--data',
        join(old, 'data'),
        '--media-host',
        '127.0.0.1',
        '--expires-days',
        '1',
        '--canonical',
        'https://expired.example.org/',
      ],
      { cwd: old, env: { SOURCE_DATE_EPOCH: String(Math.floor(Date.now() / 1000) - 2 * 86_400) } },
    );
    expect(expired.code, expired.err).toBe(0);
    root = await realpath(made.out);
    const r = await runCli(['verify', url, '--pubkey', made.pubFile, '--state', join(dir, 'expired-state.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/expired at/);
  });
});

describe('ferry kv-put DIR --namespace-id ID (Cloudflare API; a loopback stand-in here)', () => {
  it('loads the out link with the PNG intact, then only what changed', async () => {
    const api = await startFakeKvApi({ accountId: 'acc1', namespaceId: 'ns1', token: 'secret-token' });
    try {
      const args = ['kv-put', built.out, '--namespace-id', 'ns1', '--api-base', api.apiBase, '--json'];
      const env = { CLOUDFLARE_ACCOUNT_ID: 'acc1', CLOUDFLARE_API_TOKEN: 'secret-token' };
      const first = await runCli(args, { env });
      expect(first.code, first.err).toBe(0);
      expect(JSON.parse(first.out)).toMatchObject({ where: 'KV namespace ns1', prefix: 'snapshot', deleted: 0, unchanged: 0 });
      expect(api.store.get(`snapshot${built.pngPath}`)?.value).toEqual(built.png);
      expect(api.store.get('snapshot/index.html')?.value).toEqual(new Uint8Array(await readFile(join(built.out, 'index.html'))));
      const again = await runCli(args, { env });
      expect(JSON.parse(again.out)).toMatchObject({ uploaded: 0, deleted: 0 });
      expect(again.err + again.out).not.toContain('secret-token');
    } finally {
      await api.close();
    }
  });

  it('says what is missing', async () => {
    const r = await runCli(['kv-put', built.out, '--namespace-id', 'ns1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--account-id ID is required (or set CLOUDFLARE_ACCOUNT_ID)');
    const both = await runCli(['kv-put', built.out]);
    expect(both.err).toContain('give either --local (for wrangler dev) or --namespace-id ID');
  });
});
