// The rules the edge and the reader's service worker share (core/signed-manifest.ts), checked with
// both ed25519 implementations the worker may use (WebCrypto, @noble/ed25519) against the edge's
// synchronous one; and the worker's choice of sources (core/reader-sources.ts), raw-block CIDs and
// request paths.
import { createHash, webcrypto } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../../src/core/bytes.ts';
import { serviceWorkerScript } from '../../src/core/build.ts';
import { MANIFEST_PATH, SIGNATURE_PATH, parseManifest, signBytes, encodeSignatures } from '../../src/core/manifest.ts';
import { RAW_BLOCK_MAX_BYTES, rawCidOf } from '../../src/core/raw-cid.ts';
import { readerSources } from '../../src/core/reader-sources.ts';
import { PAGE_CSP, REGISTER_SCRIPT, WORKER_CSP } from '../../src/core/render-html.ts';
import {
  ExpiredError,
  IntegrityError,
  ManifestError,
  RollbackError,
  SignatureError,
  acceptManifestWith,
  checkDigest,
  type VerifySignature,
} from '../../src/core/signed-manifest.ts';
import { acceptManifest, checkFile } from '../../src/core/verify.ts';
import { analyzeHtml } from '../../src/core/health/content-analysis.ts';
import { CONTENT_SECURITY_POLICY, publicHeadersFor } from '../../src/edge/content-headers.ts';
import { createSignatureVerifier } from '../../src/sw/signature.ts';
import { snapshotPathOf } from '../../src/sw/request-path.ts';
import { compileServiceWorker } from '../../src/node/service-worker-bundle.ts';
import { makeSignedSnapshot, testKeyPair } from '../helpers/signed-snapshot.ts';

const keys = testKeyPair(11);
const other = testKeyPair(12);
const now = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

function signed(version: number, { expiresInMs = DAY, key = keys } = {}) {
  const map = makeSignedSnapshot(
    { '/index.html': '<p>home</p>', '/2016/06/人权.html': '<p>人权</p>' },
    { version, keyPair: key, now, expiresInMs, canonical: 'https://a.example/', mirrors: [] },
  );
  const bytes = map.get(MANIFEST_PATH) ?? new Uint8Array();
  const sig = new TextDecoder().decode(map.get(SIGNATURE_PATH));
  return { map, bytes, sig };
}

const webcryptoVerifier = createSignatureVerifier({ subtle: webcrypto.subtle as SubtleCrypto });
const nobleVerifier = createSignatureVerifier({ subtle: null });
/** A WebCrypto without Ed25519 (as in older browsers): importKey refuses the algorithm. */
const withoutEd25519 = {
  importKey: () => Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError')),
} as unknown as SubtleCrypto;
const fallbackVerifier = createSignatureVerifier({ subtle: withoutEd25519 });
const VERIFIERS: Array<[string, VerifySignature, () => string | undefined]> = [
  ['WebCrypto Ed25519', webcryptoVerifier.verify, webcryptoVerifier.used],
  ['@noble/ed25519 (no WebCrypto)', nobleVerifier.verify, nobleVerifier.used],
  ['@noble/ed25519 (a WebCrypto without Ed25519)', fallbackVerifier.verify, fallbackVerifier.used],
];

/** What the edge's synchronous acceptManifest does with the same input: the name of its error, or the version. */
function edgeVerdict(bytes: Uint8Array, sig: string, minVersion?: number): string {
  try {
    return `v${acceptManifest(bytes, sig, { publicKey: keys.publicKey, now, ...(minVersion === undefined ? {} : { minVersion }) }).version}`;
  } catch (e) {
    return (e as Error).name;
  }
}

describe('manifest acceptance: one set of rules for the edge and the browser', () => {
  const good = signed(5);
  const expired = signed(6, { expiresInMs: -1 });
  const forged = signed(7, { key: other });
  const tampered = { bytes: utf8ToBytes(new TextDecoder().decode(good.bytes).replace('"version": 5', '"version": 9')), sig: good.sig };
  const cases: Array<{ name: string; bytes: Uint8Array; sig: string; minVersion?: number; expect: string }> = [
    { name: 'a good manifest', bytes: good.bytes, sig: good.sig, expect: 'v5' },
    { name: 'the same version again', bytes: good.bytes, sig: good.sig, minVersion: 5, expect: 'v5' },
    { name: 'a lower version than seen (rollback)', bytes: good.bytes, sig: good.sig, minVersion: 6, expect: 'RollbackError' },
    { name: 'an expired manifest (freeze)', bytes: expired.bytes, sig: expired.sig, expect: 'ExpiredError' },
    { name: 'signed by another key', bytes: forged.bytes, sig: forged.sig, expect: 'SignatureError' },
    { name: 'bytes changed after signing', bytes: tampered.bytes, sig: tampered.sig, expect: 'SignatureError' },
    { name: 'a block page as signature', bytes: good.bytes, sig: '<h1>blocked</h1>', expect: 'SignatureError' },
    { name: 'an empty signature file', bytes: good.bytes, sig: '\n', expect: 'SignatureError' },
  ];
  for (const [impl, verify, used] of VERIFIERS) {
    describe(impl, () => {
      for (const c of cases) {
        it(`${c.name}: ${c.expect}, as the edge decides`, async () => {
          let verdict: string;
          try {
            const opts = { publicKey: keys.publicKey, now, ...(c.minVersion === undefined ? {} : { minVersion: c.minVersion }) };
            verdict = `v${(await acceptManifestWith(c.bytes, c.sig, opts, verify)).version}`;
          } catch (e) {
            verdict = (e as Error).name;
          }
          expect(verdict).toBe(c.expect);
          expect(edgeVerdict(c.bytes, c.sig, c.minVersion)).toBe(c.expect);
        });
      }
      it('answered with the implementation named', async () => {
        await acceptManifestWith(good.bytes, good.sig, { publicKey: keys.publicKey, now }, verify);
        expect(used()).toBe(impl.startsWith('WebCrypto') ? 'webcrypto' : 'noble');
      });
    });
  }

  it('accepts a manifest whose signature is on a later line (a mirror updated signature first)', async () => {
    const older = signed(4);
    const sig = encodeSignatures([signBytes(utf8ToBytes('something else'), keys.privateKey), signBytes(older.bytes, keys.privateKey)]);
    expect((await acceptManifestWith(older.bytes, sig, { publicKey: keys.publicKey, now }, nobleVerifier.verify)).version).toBe(4);
  });

  it('names its errors as the edge does: Rollback and Expired are ManifestErrors', () => {
    expect(new RollbackError('x')).toBeInstanceOf(ManifestError);
    expect(new ExpiredError('x')).toBeInstanceOf(ManifestError);
    expect(new SignatureError('x').name).toBe('SignatureError');
  });
});

describe('file checks shared by the edge (checkFile) and the worker (checkDigest with WebCrypto digests)', () => {
  const { map, bytes } = signed(3);
  const manifest = parseManifest(new TextDecoder().decode(bytes));
  const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  const page = map.get('/index.html') ?? new Uint8Array();
  const same = (b: Uint8Array) => ({ sha256: hex(b), size: b.length });
  const cases: Array<[string, string, Uint8Array, boolean]> = [
    ['the signed bytes', '/index.html', page, true],
    ['a block page answering 200', '/index.html', utf8ToBytes('<h1>blocked</h1>'), false],
    ['a planted script (bigger)', '/index.html', utf8ToBytes('<p>home</p><script src="https://evil.example/x.js"></script>'), false],
    ['the same size, other bytes', '/index.html', utf8ToBytes('<p>HOME</p>'), false],
    ['a path the manifest does not list', '/evil.html', page, false],
  ];
  for (const [name, path, body, ok] of cases) {
    it(`${name}: ${ok ? 'accepted' : 'IntegrityError'} by both`, () => {
      const run = (f: () => void): string => {
        try {
          f();
          return 'ok';
        } catch (e) {
          expect(e).toBeInstanceOf(IntegrityError);
          return 'refused';
        }
      };
      const expected = ok ? 'ok' : 'refused';
      expect(run(() => checkFile(manifest, path, body))).toBe(expected);
      expect(run(() => checkDigest(manifest, path, same(body)))).toBe(expected);
    });
  }
});

describe('readerSources: the reader’s address, then the signed mirrors by priority, then IPFS gateways; nothing else', () => {
  const mirrors = [
    { id: 'gw', kind: 'ipfs-gateway', url: 'https://ipfs.example.net/', priority: 0 },
    { id: 'b', kind: 'http', url: 'https://b.example/blog', priority: 3 },
    { id: 'a', kind: 'http', url: 'https://a.example/', priority: 2 },
    { id: 'plain', kind: 'http', url: 'http://plain.example/', priority: 1 },
    { id: 'kv', kind: 'kv', url: 'kv://snapshot', priority: 1 },
    { id: 'js', kind: 'http', url: 'javascript:alert(1)', priority: 1 },
    { id: 'creds', kind: 'http', url: 'https://user@c.example/', priority: 1 },
    { id: 'dup', kind: 'http', url: 'https://b.example/blog/', priority: 4 },
  ];
  it('on a mirror the manifest lists: that mirror first under its own id, then the others', () => {
    expect(readerSources({ mirrors }, 'https://a.example/').map((s) => [s.id, s.kind, s.base, s.priority, s.origin])).toEqual([
      ['a', 'http', 'https://a.example/', 0, true],
      ['b', 'http', 'https://b.example/blog/', 1, false],
      ['gw', 'ipfs-block', 'https://ipfs.example.net/', 2, false],
    ]);
  });
  it('on an address the manifest does not list (an IPFS path, a new domain): it comes first as the origin', () => {
    expect(readerSources({ mirrors }, 'https://gw.example/ipfs/bafy/').map((s) => s.id)).toEqual(['origin', 'a', 'b', 'gw']);
  });
  it('an http page may read http mirrors; an https page never asks plain http (mixed content)', () => {
    expect(readerSources({ mirrors }, 'http://127.0.0.1:8080/').map((s) => s.id)).toEqual(['origin', 'plain', 'a', 'b', 'gw']);
  });
  it('no usable scope, no sources', () => {
    expect(readerSources({ mirrors }, 'file:///x/')).toEqual([]);
  });
});

describe('rawCidOf: the manifest’s sha256 is a single-block file’s CID', () => {
  it('matches multiformats for the same bytes', async () => {
    for (const text of ['', 'hello', '人权'.repeat(1000)]) {
      const bytes = utf8ToBytes(text);
      const cid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
      expect(rawCidOf(createHash('sha256').update(bytes).digest('hex'))).toBe(cid);
    }
    expect(RAW_BLOCK_MAX_BYTES).toBe(1_048_576);
  });
  it('refuses anything but a hex sha256', () => {
    expect(() => rawCidOf('../etc')).toThrow(/not a sha256/);
  });
});

describe('snapshotPathOf: which requests the worker answers', () => {
  const scope = 'https://a.example/blog/';
  const cases: Array<[string, string | undefined]> = [
    ['https://a.example/blog/', '/index.html'],
    ['https://a.example/blog/2016/06/', '/2016/06/index.html'],
    ['https://a.example/blog/2016/07/%E4%BA%BA%E6%9D%83.html', '/2016/07/人权.html'],
    ['https://a.example/blog/style.css', '/style.css'],
    ['https://a.example/other/', undefined],
    ['https://b.example/blog/', undefined],
    ['https://a.example/blog/index.html?x=1', undefined],
    ['https://a.example/blog/_ferry/health', undefined],
    ['https://a.example/blog/%2e%2e/x', undefined],
    ['https://a.example/blog/%zz', undefined],
  ];
  for (const [url, path] of cases) it(`${url} -> ${path ?? 'left alone'}`, () => expect(snapshotPathOf(url, scope)).toBe(path));
});

describe('the page policy allows the registration and nothing else; the worker’s own policy', () => {
  it('script-src is the registration script’s hash: no unsafe-inline, no self, no other source', () => {
    const hash = createHash('sha256').update(REGISTER_SCRIPT).digest('base64');
    expect(PAGE_CSP).toContain(`script-src 'sha256-${hash}';`);
    expect(PAGE_CSP).not.toMatch(/unsafe|script-src[^;]*'self'|\*/);
    expect(PAGE_CSP).toContain("worker-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toBe(`${PAGE_CSP}; frame-ancestors 'none'`);
  });
  it('the edge sends sw.js its own policy: it may fetch, and load or evaluate no code', () => {
    expect(publicHeadersFor('/sw.js')['content-security-policy']).toBe(WORKER_CSP);
    expect(WORKER_CSP).toBe("default-src 'none'; connect-src *");
    expect(publicHeadersFor('/index.html')['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(publicHeadersFor('/sw.js')['access-control-allow-origin']).toBe('*');
  });
  it('the health checker’s content analysis does not take the registration for planted code; another inline script it does', () => {
    const page = `<!doctype html><html><head><script data-sw="../sw.js">${REGISTER_SCRIPT}</script></head><body></body></html>`;
    expect(analyzeHtml(page, { pageUrl: 'https://a.example/2016/x.html' })).toEqual([]);
    const planted = page.replace('</head>', '<script>location.href="https://evil.example/"</script></head>');
    expect(analyzeHtml(planted, { pageUrl: 'https://a.example/2016/x.html' }).map((f) => f.code)).toEqual([
      'content-inline-script',
      'content-script-redirect',
    ]);
  });

  it('the worker bundles to the same bytes every time, under 30 KB, with no path or time of this machine in it', async () => {
    const [first, second] = [await compileServiceWorker(), await compileServiceWorker()];
    expect(second).toBe(first);
    expect(first.length).toBeLessThan(30 * 1024);
    expect(first).not.toContain(process.cwd());
    expect(first).not.toMatch(/sourceMappingURL|\/work\/|\/home\/|\/tmp\//);
    expect(first).toContain('FERRY_PUBLIC_KEY');
  });

  it('sw.js pins the key in front of the code, the same bytes for the same input', () => {
    const a = serviceWorkerScript('X', keys.publicKey);
    expect(a).toBe(serviceWorkerScript('X', keys.publicKey));
    expect(a).toMatch(/^"use strict";const FERRY_PUBLIC_KEY="[A-Za-z0-9+/]{43}=";\nX$/);
    expect(() => serviceWorkerScript('X', new Uint8Array(31))).toThrow(/32-byte/);
  });
});
