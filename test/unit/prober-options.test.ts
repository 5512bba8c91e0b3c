// createProber refuses options that cannot work, naming the option and the fix; OONI's full
// fingerprint files load from disk through the loader, and a bad one names the file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProber, ProberConfigError, type ProberOptions } from '../../src/adapters/probes/create-prober.ts';
import { loadFingerprintFiles } from '../../src/adapters/probes/fingerprint-file.ts';
import { FingerprintError } from '../../src/core/health/block-fingerprints.ts';
import { testKeyPair } from '../helpers/signed-snapshot.ts';

const KEY = testKeyPair(3).publicKey;

describe('createProber options', () => {
  it.each<[Partial<ProberOptions>, string]>([
    [{ publicKey: new Uint8Array(16) }, 'publicKey: must be a 32-byte'],
    [{ timeouts: { httpMs: 0 } }, 'httpMs: must be a positive number'],
    [{ limits: { maxBytes: Number.NaN } }, 'maxBytes: must be a positive number'],
    [{ trustedRanges: ['10.0.0.0/40'] }, "trustedRanges: '10.0.0.0/40' is not an address or CIDR range"],
    [{ dohUrl: 'dns.google' }, "dohUrl: 'dns.google' must be an http(s) URL"],
    [{ injection: { server: 'cn.example' } }, "injection.server: 'cn.example' must be an IP address"],
  ])('%j is refused', (bad, message) => {
    expect(() => createProber({ publicKey: KEY, ...bad })).toThrow(ProberConfigError);
    expect(() => createProber({ publicKey: KEY, ...bad })).toThrow(message);
  });

  it('good options are accepted', () => {
    expect(() =>
      createProber({ publicKey: KEY, trustedRanges: ['192.168.0.0/16', '::1'], dohUrl: null, injection: { server: '192.0.2.1' } }),
    ).not.toThrow();
  });
});

describe('loadFingerprintFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-fp-'));
  const header = 'name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes';

  it('loads the HTTP and DNS files in order', async () => {
    writeFileSync(join(dir, 'fingerprints_http.csv'), `${header}\na.cn_0,nat,,body,contains,blocked here,5,CN,a,,\n`);
    writeFileSync(join(dir, 'fingerprints_dns.csv'), `${header}\na.dns_0,nat,,dns,full,203.0.113.9,5,CN,a,,\n`);
    const fps = await loadFingerprintFiles([join(dir, 'fingerprints_http.csv'), join(dir, 'fingerprints_dns.csv')]);
    expect(fps.map((f) => [f.name, f.location])).toEqual([
      ['a.cn_0', 'body'],
      ['a.dns_0', 'dns'],
    ]);
  });

  it('a missing or malformed file names itself', async () => {
    await expect(loadFingerprintFiles([join(dir, 'nope.csv')])).rejects.toThrow(/nope\.csv: cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.csv'), `${header}\nb,nat,,body,sometimes,x,5,,a,,\n`);
    await expect(loadFingerprintFiles([join(dir, 'bad.csv')])).rejects.toThrow(FingerprintError);
    await expect(loadFingerprintFiles([join(dir, 'bad.csv')])).rejects.toThrow(/bad\.csv: row 2/);
  });
});
