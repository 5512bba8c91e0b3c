// Runs the publisher contract against every adapter, each on a real local backing store where one
// exists (a folder, a bare git repository) and on loopback fakes of the Cloudflare KV and S3 APIs.
import { mkdtemp, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectoryPublisher, nodeFolderWriter, type FolderWriter } from '../../src/adapters/publishers/directory-publisher.ts';
import { createKvPublisher } from '../../src/adapters/publishers/kv-publisher.ts';
import { PublishError } from '../../src/ports/publisher.ts';
import { startFakeKvApi } from '../helpers/fake-kv-api.ts';
import { createS3Publisher } from '../../src/adapters/publishers/s3-publisher.ts';
import { startFakeS3, verifySigV4 } from '../helpers/fake-s3.ts';
import { createGitPublisher, execGit } from '../../src/adapters/publishers/git-publisher.ts';
import { writeFile as writeFileFs, chmod } from 'node:fs/promises';
import { readTree } from '../helpers/tree.ts';
import { describe, expect, it } from 'vitest';
import { describePublisherContract, type BackingWrite, type PublisherHarness } from './publisher.contract.ts';
import { snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';

const directoryHarness = (statCache: boolean) => async (): Promise<PublisherHarness> => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pub-dir-'));
  const root = join(dir, 'site');
  const log: BackingWrite[] = [];
  const failing = new Set<string>();
  const toPath = (file: string): string => file.slice(root.length).split('\\').join('/');
  const writer: FolderWriter = {
    async write(file, bytes, durable) {
      const path = toPath(file);
      if (failing.delete(path)) throw new Error('EIO: injected write failure');
      await nodeFolderWriter.write(file, bytes, durable);
      log.push({ op: 'put', path });
    },
    async remove(file) {
      await nodeFolderWriter.remove(file);
      log.push({ op: 'delete', path: toPath(file) });
    },
    read: (file) => nodeFolderWriter.read(file),
  };
  return {
    target: createDirectoryPublisher(
      { id: 'folder-mirror', path: root, ...(statCache ? { statCacheFile: join(dir, 'data', 'folder-stat.json') } : {}) },
      { writer, concurrency: 4 },
    ),
    read: async () => new Map([...(await readTree(root))].map(([p, b]) => [p, new Uint8Array(b)])),
    takeLog: async () => log.splice(0),
    failWrite: (path) => failing.add(path),
    close: () => rm(dir, { recursive: true, force: true }),
  };
};
describePublisherContract('directory', directoryHarness(false));
describePublisherContract('directory (with a stat cache)', directoryHarness(true));

const KV = { accountId: 'acc0123', namespaceId: 'ns4567', token: 'kv-secret-token-value' };

describePublisherContract('kv (fake Cloudflare API)', async () => {
  const api = await startFakeKvApi({ ...KV, pageSize: 3 });
  const prefix = 'blog:';
  return {
    target: createKvPublisher(
      {
        id: 'workers-kv',
        accountId: KV.accountId,
        namespaceId: KV.namespaceId,
        tokenEnv: 'FERRY_TEST_KV_TOKEN',
        prefix,
        apiBase: api.apiBase,
        timeoutMs: 5000,
      },
      // Small batches so the contract also crosses batch boundaries.
      { env: { FERRY_TEST_KV_TOKEN: KV.token }, maxBatchKeys: 4 },
    ),
    read: async () => new Map([...api.store].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v.value])),
    takeLog: async () => api.log.splice(0).map((w) => ({ op: w.op, path: w.key.slice(prefix.length) })),
    failWrite: (path) => api.failNextWriteOf(prefix + path),
    close: () => api.close(),
  };
});

describe('kv publisher specifics', () => {
  it('names the missing token variable, sends nothing, and never shows a token', async () => {
    const api = await startFakeKvApi(KV);
    try {
      const target = createKvPublisher({ id: 'kv1', ...KV, tokenEnv: 'FERRY_NO_SUCH_VAR', apiBase: api.apiBase }, { env: {} });
      const { makeSignedSnapshot, testKeyPair, sampleFiles } = await import('../helpers/signed-snapshot.ts');
      const snap = makeSignedSnapshot(sampleFiles(), {
        version: 1,
        keyPair: testKeyPair(1),
        now: new Date(),
        expiresInMs: 1e9,
        mirrors: [],
        canonical: 'https://x.example/',
      });
      const err = await target.publish(snapshotFilesOf(snap)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(String(err)).toContain('FERRY_NO_SUCH_VAR');
      expect(api.requests).toBe(0);
      const wrong = createKvPublisher({ id: 'kv1', ...KV, tokenEnv: 'T', apiBase: api.apiBase }, { env: { T: 'wrong-token-123' } });
      const err2 = await wrong.publish(snapshotFilesOf(snap)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(err2)).toMatch(/HTTP 403.*check that T holds a token/);
      expect(String(err2)).not.toContain('wrong-token-123');
    } finally {
      await api.close();
    }
  });
});

const S3 = { bucket: 'ferry-blog', region: 'eu-test-1', accessKeyId: 'AKIDFERRYTEST', secretAccessKey: 's3-secret/key+value' };

describePublisherContract('s3 (fake S3 with SigV4 checks)', async () => {
  const s3 = await startFakeS3({ ...S3, pageSize: 4 });
  const prefix = 'site/';
  return {
    target: createS3Publisher(
      {
        id: 'bucket-mirror',
        endpoint: s3.endpoint,
        bucket: S3.bucket,
        region: S3.region,
        prefix,
        accessKeyIdEnv: 'AK',
        secretAccessKeyEnv: 'SK',
        timeoutMs: 5000,
        concurrency: 3,
      },
      { env: { AK: S3.accessKeyId, SK: S3.secretAccessKey } },
    ),
    read: async () =>
      new Map([...s3.objects].filter(([k]) => k.startsWith(prefix)).map(([k, o]) => [`/${k.slice(prefix.length)}`, o.body])),
    takeLog: async () => s3.log.splice(0).map((w) => ({ op: w.op, path: `/${w.key.slice(prefix.length)}` })),
    failWrite: (path) => s3.failNextWriteOf(prefix + path.slice(1)),
    close: () => s3.close(),
  };
});

describe('fake S3 signature check (against AWS published SigV4 examples)', () => {
  const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
  const at = new Date('2013-05-24T00:00:00Z');
  const getObject = {
    method: 'GET',
    rawUrl: '/test.txt',
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
    body: new Uint8Array(0),
  };
  it('accepts the GetObject example', () => {
    expect(verifySigV4(getObject, creds, at)).toBeUndefined();
  });
  it('rejects it when a signed header, the path or the body changes', () => {
    expect(verifySigV4({ ...getObject, headers: { ...getObject.headers, range: 'bytes=0-10' } }, creds, at)?.code).toBe(
      'SignatureDoesNotMatch',
    );
    expect(verifySigV4({ ...getObject, rawUrl: '/test2.txt' }, creds, at)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4({ ...getObject, body: new Uint8Array([1]) }, creds, at)?.code).toBe('XAmzContentSHA256Mismatch');
    expect(verifySigV4(getObject, creds, new Date('2013-05-24T01:00:00Z'))?.code).toBe('RequestTimeTooSkewed');
  });
  it('accepts the PutObject example (key with $, signed payload)', () => {
    const put = {
      method: 'PUT',
      rawUrl: '/test%24file.text',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
      },
      body: new TextEncoder().encode('Welcome to Amazon S3.'),
    };
    expect(verifySigV4(put, creds, at)).toBeUndefined();
  });
});

describe('s3 publisher specifics', () => {
  it('remembers MD5s by sha256 in md5CacheFile: a new process reads only what changed (a damaged cache: everything once)', async () => {
    const s3 = await startFakeS3(S3);
    const dir = await mkdtemp(join(tmpdir(), 'ferry-s3-md5-'));
    try {
      const md5CacheFile = join(dir, 's3-md5.json');
      const target = () =>
        createS3Publisher(
          {
            id: 'b1',
            endpoint: s3.endpoint,
            bucket: S3.bucket,
            region: S3.region,
            accessKeyIdEnv: 'AK',
            secretAccessKeyEnv: 'SK',
            md5CacheFile,
          },
          { env: { AK: S3.accessKeyId, SK: S3.secretAccessKey } },
        );
      const { makeSignedSnapshot, testKeyPair, sampleFiles } = await import('../helpers/signed-snapshot.ts');
      const snap = (version: number, extra: Record<string, string> = {}) =>
        makeSignedSnapshot(
          { ...sampleFiles(), ...extra },
          {
            version,
            keyPair: testKeyPair(5),
            now: new Date('2026-02-01T00:00:00Z'),
            expiresInMs: 1e9,
            mirrors: [],
            canonical: 'https://x.example/',
          },
        );
      const counting = (files: Map<string, Uint8Array>, reads: string[]) => {
        const inner = snapshotFilesOf(files);
        return { entries: inner.entries, read: (path: string) => (reads.push(path), inner.read(path)) };
      };
      await target().publish(snapshotFilesOf(snap(1)));
      const reads: string[] = [];
      const r = await target().publish(counting(snap(2, { '/new.html': 'new' }), reads));
      expect(r.uploaded).toBe(3);
      expect(reads.sort()).toEqual(['/manifest.json', '/manifest.json.sig', '/new.html']);
      await writeFileFs(md5CacheFile, '{"format":"ferry-s3-md5/1","md5":');
      reads.length = 0;
      const again = await target().publish(counting(snap(2, { '/new.html': 'new' }), reads));
      expect(again.uploaded).toBe(0);
      expect(reads.length).toBe(snap(2, { '/new.html': 'new' }).size);
    } finally {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a wrong secret is refused by the signature check and named with its variables, never shown', async () => {
    const s3 = await startFakeS3(S3);
    try {
      const target = createS3Publisher(
        { id: 'b1', endpoint: s3.endpoint, bucket: S3.bucket, region: S3.region, accessKeyIdEnv: 'AK', secretAccessKeyEnv: 'SK' },
        { env: { AK: S3.accessKeyId, SK: 'not-the-secret-999' } },
      );
      const err = await target.current().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(String(err)).toMatch(/target 'b1': read \/manifest.json failed: .*HTTP 403 SignatureDoesNotMatch.*check AK \/ SK/);
      expect(String(err)).not.toContain('not-the-secret-999');
    } finally {
      await s3.close();
    }
  });
});

/** A real bare repository on disk, with a pre-receive hook that refuses pushes touching listed paths. */
async function bareRepo(dir: string, branch: string) {
  const bare = join(dir, 'remote.git');
  const git = (args: string[], cwd = bare) => execGit(args, { cwd, timeoutMs: 20_000, env: {} });
  await execGit(['init', '-q', '--bare', bare], { cwd: dir, timeoutMs: 20_000, env: {} });
  const hook = join(bare, 'hooks', 'pre-receive');
  await writeFileFs(
    hook,
    `#!/bin/sh
[ -f "$GIT_DIR/fail-paths" ] || exit 0
while read old new ref; do
  if [ "$old" = 0000000000000000000000000000000000000000 ]; then changed=$(git ls-tree -r --name-only "$new"); else changed=$(git diff --name-only "$old" "$new"); fi
  while read p; do
    if printf '%s\\n' "$changed" | grep -qxF "$p"; then echo "refusing change to /$p" >&2; rm -f "$GIT_DIR/fail-paths"; exit 1; fi
  done < "$GIT_DIR/fail-paths"
done
exit 0
`,
  );
  await chmod(hook, 0o755);
  let last = '';
  const head = async (): Promise<string> => (await git(['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])).stdout.trim();
  return {
    url: `file://${bare}`,
    git,
    head,
    async read(): Promise<Map<string, Uint8Array>> {
      const out = new Map<string, Uint8Array>();
      if ((await head()) === '') return out;
      const names = (await git(['ls-tree', '-r', '-z', '--name-only', branch])).stdout.split('\0').filter((n) => n !== '');
      for (const name of names) {
        const blob = await new Promise<Buffer>((res, rej) =>
          execFile(
            'git',
            ['cat-file', 'blob', `${branch}:${name}`],
            { cwd: bare, encoding: 'buffer', maxBuffer: 1 << 26, timeout: 30_000 },
            (e, stdout) => (e === null ? res(stdout) : rej(new Error(e.message))),
          ),
        );
        out.set(`/${name}`, new Uint8Array(blob));
      }
      return out;
    },
    async takeLog(): Promise<BackingWrite[]> {
      const now = await head();
      if (now === last) return [];
      const args = last === '' ? ['ls-tree', '-r', '-z', '--name-only', now] : ['diff', '--name-status', '-z', '--no-renames', last, now];
      const parts = (await git(args)).stdout.split('\0').filter((n) => n !== '');
      const log: BackingWrite[] = [];
      if (last === '') for (const p of parts) log.push({ op: 'put', path: `/${p}` });
      else
        for (let i = 0; i + 1 < parts.length; i += 2) log.push({ op: parts[i] === 'D' ? 'delete' : 'put', path: `/${parts[i + 1] ?? ''}` });
      last = now;
      return log.filter((w) => w.path !== '/.nojekyll');
    },
    failWrite: (path: string) => writeFileFs(join(bare, 'fail-paths'), `${path.slice(1)}\n`),
  };
}

describePublisherContract('git (real bare repository)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pub-git-'));
  const remote = await bareRepo(dir, 'gh-pages');
  let pending: Promise<void> = Promise.resolve();
  return {
    target: createGitPublisher({
      id: 'pages-branch',
      remote: remote.url,
      branch: 'gh-pages',
      workDir: join(dir, 'work'),
      timeoutMs: 20_000,
    }),
    atomic: true,
    read: async () => new Map([...(await remote.read())].filter(([p]) => p !== '/.nojekyll')),
    takeLog: async () => {
      await pending;
      return remote.takeLog();
    },
    failWrite: (path) => {
      pending = remote.failWrite(path);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

/** A signed sample snapshot of `version` (plus extra files), as the git tests publish it. */
async function gitSnap(version: number, extra: Record<string, string> = {}) {
  const { makeSignedSnapshot, testKeyPair, sampleFiles } = await import('../helpers/signed-snapshot.ts');
  return snapshotFilesOf(
    makeSignedSnapshot(
      { ...sampleFiles(), ...extra },
      {
        version,
        keyPair: testKeyPair(3),
        now: new Date('2026-02-01T00:00:00Z'),
        expiresInMs: 1e9,
        mirrors: [],
        canonical: 'https://x.example/',
      },
    ),
  );
}

describe('git publisher specifics', () => {
  it('one commit per changed snapshot, fixed author, version in the message, .nojekyll, a fresh work folder still works', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-pub-git2-'));
    try {
      const remote = await bareRepo(dir, 'pages');
      const target = (work: string) =>
        createGitPublisher({
          id: 'gl-pages',
          remote: remote.url,
          branch: 'pages',
          workDir: join(dir, work),
          authorName: 'Ferry Bot',
          authorEmail: 'bot@example.org',
        });
      await target('w1').publish(await gitSnap(7));
      await target('w1').publish(await gitSnap(7));
      const count = async () => (await remote.git(['rev-list', '--count', 'pages'])).stdout.trim();
      expect(await count()).toBe('1');
      const r = await target('w2').publish(await gitSnap(7));
      expect(r.uploaded).toBe(0);
      expect(await count()).toBe('1');
      await target('w2').publish(await gitSnap(8, { '/new.html': 'new post' }));
      expect(await count()).toBe('2');
      const logLine = (await remote.git(['log', '-1', '--format=%an <%ae>|%s|%aI', 'pages'])).stdout.trim();
      expect(logLine).toBe('Ferry Bot <bot@example.org>|Publish snapshot version 8|2026-02-01T00:00:00+00:00');
      expect((await remote.read()).get('/.nojekyll')?.length).toBe(0);
      expect((await target('w3').current())?.version).toBe(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('puts the snapshot on top of a commit someone pushed meanwhile (never a force push)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-pub-git3-'));
    try {
      const remote = await bareRepo(dir, 'pages');
      const config = { id: 'gl-pages', remote: remote.url, branch: 'pages', workDir: join(dir, 'work'), keep: ['/CNAME'] };
      await createGitPublisher(config).publish(await gitSnap(7));
      // A maintainer pushes a CNAME between Ferry's fetch and Ferry's push (once).
      let interfered = false;
      const git: typeof execGit = async (args, opts) => {
        if (args[0] === 'push' && !interfered) {
          interfered = true;
          const other = join(dir, 'other');
          const run = (a: string[], cwd = other) => execGit(a, { cwd, timeoutMs: 20_000, env: {} });
          await run(['clone', '-q', '--branch', 'pages', remote.url, other], dir);
          await writeFileFs(join(other, 'CNAME'), 'blog.example.org\n');
          await run(['add', 'CNAME']);
          await run(['-c', 'user.name=Maintainer', '-c', 'user.email=m@example.org', 'commit', '-q', '-m', 'CNAME']);
          await run(['push', '-q', 'origin', 'pages']);
        }
        return execGit(args, opts);
      };
      const progress: string[] = [];
      const r = await createGitPublisher(config, { git }).publish(await gitSnap(8, { '/new.html': 'new post' }), {
        onProgress: (m) => progress.push(m),
      });
      expect(interfered).toBe(true);
      expect(r.uploaded).toBeGreaterThan(0);
      expect(progress.join('\n')).toMatch(/pages moved on the remote while publishing; fetching it again \(attempt 2 of 3\)/);
      const held = await remote.read();
      expect(new TextDecoder().decode(held.get('/CNAME'))).toBe('blog.example.org\n');
      expect(new TextDecoder().decode(held.get('/new.html'))).toBe('new post');
      const subjects = (await remote.git(['log', '--format=%s', 'pages'])).stdout.trim().split('\n');
      expect(subjects).toEqual(['Publish snapshot version 8', 'CNAME', 'Publish snapshot version 7']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
