// The small manifest prober `ferry probe` uses by default, against real loopback mirrors that are
// good, tampered, failing, hanging, refusing, or signed by another key: each gets its verdict with
// evidence, and nothing throws.
import { afterAll, describe, expect, it } from 'vitest';
import { createManifestProber } from '../../src/adapters/probes/manifest-prober.ts';
import { ORIGIN_TARGET } from '../../src/core/health/observation.ts';
import { refusedUrl, startMirrorServer, type Fault, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const publisher = testKeyPair(6);
const snapshot = (key = publisher, expiresInMs = 86_400_000, now = new Date()) =>
  makeSignedSnapshot(sampleFiles(), { version: 7, keyPair: key, now, expiresInMs, mirrors: [], canonical: 'https://blog.example/' });
const servers: MirrorServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});
const vantage = { id: 'v', kind: 'agent' as const, country: 'CN' };
const prober = createManifestProber({ publicKey: publisher.publicKey, timeoutMs: 500 });

async function mirrorUrl(fault: Fault, map = snapshot()): Promise<string> {
  const s = await startMirrorServer(map, { fault });
  servers.push(s);
  return s.url;
}

describe('manifest prober', () => {
  it.each<[string, () => Promise<string>, string, string]>([
    ['a good mirror', () => mirrorUrl('good'), 'healthy', 'integrity-ok'],
    ['a mirror serving a tampered index page', () => mirrorUrl('tamper'), 'compromised', 'integrity-mismatch'],
    ['a manifest signed by another key', () => mirrorUrl('good', snapshot(testKeyPair(9))), 'compromised', 'integrity-signature'],
    [
      'an expired manifest',
      () => mirrorUrl('good', snapshot(publisher, 1000, new Date(Date.now() - 60_000))),
      'compromised',
      'integrity-expired',
    ],
    ['a mirror answering 500', () => mirrorUrl('error500'), 'unreachable', 'http-status'],
    ['a mirror that hangs', () => mirrorUrl('hang'), 'unreachable', 'http-timeout'],
    ['a port that refuses', () => refusedUrl(), 'unreachable', 'http-unreachable'],
  ])('%s', async (_name, url, verdict, code) => {
    const r = await prober.probe({ id: 'm', url: await url(), role: 'mirror' }, { vantage, round: 0 });
    expect(r.verdict).toBe(verdict);
    expect(r.evidence.map((e) => e.code)).toContain(code);
    expect(r.vantage).toEqual(vantage);
    if (verdict === 'healthy') expect(r.manifestVersion).toBe(7);
  });

  it('probes the origin by its feed URL', async () => {
    const url = await mirrorUrl('good');
    const up = await prober.probe({ id: ORIGIN_TARGET, url: `${url}rss.xml`, role: 'origin' }, { vantage, round: 0 });
    const gone = await prober.probe({ id: ORIGIN_TARGET, url: `${url}no-such-feed.xml`, role: 'origin' }, { vantage, round: 0 });
    expect([up.verdict, gone.verdict]).toEqual(['healthy', 'unreachable']);
  });

  it('a probe its caller cancels judges nothing as down', async () => {
    const controller = new AbortController();
    const url = await mirrorUrl('hang');
    setTimeout(() => controller.abort(), 50);
    const r = await prober.probe({ id: 'm', url, role: 'mirror' }, { vantage, round: 0, signal: controller.signal });
    expect(r.verdict).toBe('degraded');
    expect(r.evidence.map((e) => e.code)).toEqual(['probe-aborted']);
  });
});
