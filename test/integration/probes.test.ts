// The local prober against real loopback servers: mirrors that are good, refusing, hanging, slow,
// answering 500, tampered, serving a block page or a redirect to another host, bad TLS
// certificates and SNI filtering, a DNS server and a DoH endpoint giving poisoned answers, an
// injection probe, an origin compared with a control fetch. Each gets its verdict with evidence,
// and every probe ends within its deadline.
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProber, type ProberOptions } from '../../src/adapters/probes/create-prober.ts';
import type { ProbeResult, Vantage } from '../../src/core/health/observation.ts';
import type { ProbeTarget } from '../../src/ports/prober.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';
import {
  makeTestCerts,
  refusedPort,
  startDohServer,
  startPageServer,
  startSnapshotServer,
  startUdpDns,
  type SnapshotServer,
  type TestCerts,
} from '../helpers/probe-servers.ts';

const KEYS = testKeyPair(7);
const VANTAGE: Vantage = { id: 'local', kind: 'local' };
const TIMEOUTS = { dnsMs: 1_000, connectMs: 1_000, tlsMs: 1_000, httpMs: 2_500, totalMs: 6_000, slowMs: 1_000 };

function snapshot(version = 5, { signedAt = new Date(), expiresInMs = 86_400_000 } = {}): Map<string, Uint8Array> {
  return makeSignedSnapshot(sampleFiles(), {
    version,
    keyPair: KEYS,
    now: signedAt,
    expiresInMs,
    mirrors: [],
    canonical: 'https://mirror.test/',
  });
}

function prober(extra: Partial<ProberOptions> = {}): ReturnType<typeof createProber> {
  return createProber({ publicKey: KEYS.publicKey, dohUrl: null, timeouts: TIMEOUTS, ...extra });
}

const mirror = (url: string): ProbeTarget => ({ id: 'm', url, role: 'mirror' });

async function probeOnce(p: ReturnType<typeof createProber>, target: ProbeTarget): Promise<ProbeResult & { elapsedMs: number }> {
  const started = Date.now();
  const r = await p.probe(target, { vantage: VANTAGE, round: 0 });
  return { ...r, elapsedMs: Date.now() - started };
}

const codes = (r: ProbeResult): string[] => r.evidence.map((e) => e.code);
const find = (r: ProbeResult, code: string): ProbeResult['evidence'][number] | undefined => r.evidence.find((e) => e.code === code);

const servers: { close(): Promise<void> }[] = [];
async function serve<T extends { close(): Promise<void> }>(s: Promise<T>): Promise<T> {
  const started = await s;
  servers.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('mirrors over HTTP (IP literal, no DNS)', () => {
  it('a good mirror is healthy: the manifest and the sample verify, with per-phase timings', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('healthy');
    expect(codes(r)).toEqual(['tcp-ok', 'http-ok', 'integrity-ok']);
    expect(r.manifestVersion).toBe(5);
    expect(r.timings?.connectMs).toBeTypeOf('number');
    expect(r.timings?.firstByteMs).toBeTypeOf('number');
    expect(r.timings?.totalMs).toBeTypeOf('number');
    // The index came from the base URL's answer; the rest of the sample was fetched.
    expect(s.requests).toEqual(
      expect.arrayContaining(['/index.html', '/manifest.json', '/manifest.json.sig', '/2016/06/27th-anniversary.html', '/rss.xml']),
    );
  });

  it('a refusing mirror is unreachable', async () => {
    const port = await refusedPort();
    const r = await probeOnce(prober(), mirror(`http://127.0.0.1:${port}/`));
    expect(r.verdict).toBe('unreachable');
    expect(codes(r)).toEqual(['tcp-refused']);
  });

  it('a hanging mirror is unreachable, and the probe ends at the HTTP deadline', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'hang' }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('unreachable');
    expect(codes(r)).toContain('http-timeout');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(TIMEOUTS.httpMs - 50);
    expect(r.elapsedMs).toBeLessThan(TIMEOUTS.httpMs + 1_000);
  });

  it('the whole-probe deadline wins over a longer per-request one', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'hang' }));
    const r = await probeOnce(prober({ timeouts: { ...TIMEOUTS, httpMs: 30_000, totalMs: 900 } }), mirror(s.url));
    expect(r.verdict).toBe('unreachable');
    expect(r.elapsedMs).toBeLessThan(1_900);
  });

  it('a probe its caller cancels is probe-aborted (degraded), never unreachable', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'hang' }));
    const started = Date.now();
    const r = await prober().probe(mirror(s.url), { vantage: VANTAGE, round: 0, signal: AbortSignal.timeout(300) });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(r.verdict).toBe('degraded');
    expect(codes(r)).toEqual(['tcp-ok', 'probe-aborted']);
  });

  it('a slow mirror is degraded, not down', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'slow', delayMs: 1_500 }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('degraded');
    expect(find(r, 'http-slow')?.points).toBe('degraded');
    expect(codes(r)).toContain('integrity-ok'); // slow, yet its bytes were checked and are fine
  });

  it('a mirror answering 500 is unreachable', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'error500' }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('unreachable');
    expect(find(r, 'http-error')?.facts).toMatchObject({ status: 500 });
    expect(s.requests).not.toContain('/manifest.json');
  });

  it('a tampered mirror is compromised, confirmed, and the content analysis says what was planted', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'tamper' }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('compromised');
    const mismatch = r.evidence.find((e) => e.layer === 'integrity' && e.points === 'compromised');
    expect(mismatch).toMatchObject({ confirmed: true, facts: { path: '/index.html' } });
    expect(r.evidence.filter((e) => e.code === 'content-foreign-script').map((e) => e.facts?.host)).toContain('cdn.evil.example');
    expect(codes(r)).toContain('content-hidden-iframe');
  });

  it('a mirror replaced by a block page is blocked, confirmed by the fingerprint, not compromised', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'blockpage' }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('blocked');
    expect(find(r, 'blockpage-fingerprint')).toMatchObject({ confirmed: true, facts: { fingerprint: 'ferry.prod_fortiguard' } });
  });

  it('a signed page that writes about hacking and quotes a block page is healthy: words never make a verdict', async () => {
    const files = {
      ...sampleFiles(),
      '/index.html':
        '<!doctype html><html><title>How they block us</title><body><p>Readers saw "FortiGuard Web Filtering" and <code>eval(atob(x))</code> planted by the attackers who hacked our first site.</p></body></html>',
    };
    const signed = makeSignedSnapshot(files, {
      version: 5,
      keyPair: KEYS,
      now: new Date(),
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://mirror.test/',
    });
    const s = await serve(startSnapshotServer(signed));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(r.verdict).toBe('healthy');
    expect(r.evidence.filter((e) => e.layer === 'blockpage' || e.layer === 'content')).toEqual([]);
  });

  it('a rollback below the last version seen and an expired manifest are compromised at once', async () => {
    const s = await serve(startSnapshotServer(snapshot(5)));
    const rolled = await probeOnce(prober({ lastVersion: () => 6 }), mirror(s.url));
    expect(rolled.verdict).toBe('compromised');
    expect(find(rolled, 'integrity-rollback')?.confirmed).toBe(true);

    const stale = await serve(
      startSnapshotServer(snapshot(5, { signedAt: new Date(Date.now() - 3 * 86_400_000), expiresInMs: 86_400_000 })),
    );
    const expired = await probeOnce(prober(), mirror(stale.url));
    expect(expired.verdict).toBe('compromised');
    expect(find(expired, 'integrity-expired')?.confirmed).toBe(true);
  });

  it('a manifest signed by another key is compromised', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const r = await probeOnce(createProber({ publicKey: testKeyPair(8).publicKey, dohUrl: null, timeouts: TIMEOUTS }), mirror(s.url));
    expect(r.verdict).toBe('compromised');
    expect(codes(r)).toContain('integrity-signature');
  });

  it('a redirect to another host is evidence (not followed), and a known redirect target confirms a block', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { fault: 'redirect-offsite' }));
    const r = await probeOnce(prober(), mirror(s.url));
    expect(find(r, 'http-redirect-offsite')?.facts).toMatchObject({ location: 'http://warning.rt.ru/?id=1' });
    // ferry.nat_ru_warning matches the Location header.
    expect(r.verdict).toBe('blocked');
    const unknown = await probeOnce(prober({ fingerprints: [] }), mirror(s.url));
    expect(unknown.verdict).toBe('unreachable');
  });

  it('the rotating sample covers every file over the rounds', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const p = prober({ sample: { newestPosts: 0, roundsPerDay: 1_000, minRotating: 1 } });
    for (let round = 0; round < 8; round++) await p.probe(mirror(s.url), { vantage: VANTAGE, round });
    for (const path of snapshot().keys()) {
      if (path === '/manifest.json' || path === '/manifest.json.sig') continue;
      expect(s.requests).toContain(path);
    }
  });
});

describe('TLS', () => {
  let certs: TestCerts;
  let dns: Awaited<ReturnType<typeof startUdpDns>>;
  let resolver: Resolver;
  beforeAll(async () => {
    certs = makeTestCerts();
    dns = await serve(startUdpDns({ 'mirror.test': { A: ['127.0.0.1'] } }));
    resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
  });
  const tlsProber = (): ReturnType<typeof createProber> => prober({ resolver, ca: certs.ca, trustedRanges: ['127.0.0.0/8'] });
  const at = (s: SnapshotServer): ProbeTarget => mirror(`https://mirror.test:${s.port}/`);

  it('a good certificate for the name is healthy (DNS on loopback, TLS, HTTP pinned to the address)', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { tls: certs.good }));
    const r = await probeOnce(tlsProber(), at(s));
    expect(r.verdict).toBe('healthy');
    expect(codes(r)).toEqual(['dns-ok', 'tcp-ok', 'tls-ok', 'http-ok', 'integrity-ok']);
    expect(r.timings?.tlsMs).toBeTypeOf('number');
    expect(r.timings?.dnsMs).toBeTypeOf('number');
  });

  it.each([
    ['selfSigned', 'tls-untrusted', 'unreachable'],
    ['expired', 'tls-expired', 'unreachable'],
    ['wrongName', 'tls-wrong-name', 'unreachable'],
    ['expiring', 'tls-expiring', 'degraded'],
  ] as const)('a %s certificate gives %s (%s)', async (which, code, verdict) => {
    const s = await serve(startSnapshotServer(snapshot(), { tls: certs[which] }));
    const r = await probeOnce(tlsProber(), at(s));
    expect(r.verdict).toBe(verdict);
    expect(codes(r)).toContain(code);
  });

  it('the SNI test tells a filtered name from a blocked address', async () => {
    const s = await serve(startSnapshotServer(snapshot(), { tls: certs.good, refuseSni: 'mirror.test' }));
    const r = await probeOnce(tlsProber(), at(s));
    expect(find(r, 'tls-sni-filtered')).toMatchObject({ points: 'blocked', facts: { neutral: 'example.com' } });
    expect(r.verdict).toBe('unreachable'); // one vantage point: blocked needs a quorum
    const both = await serve(startSnapshotServer(snapshot(), { tls: certs.good, refuseSni: 'example.com' }));
    const r2 = await probeOnce(prober({ resolver, ca: certs.ca, trustedRanges: ['127.0.0.0/8'], neutralSni: 'example.com' }), at(both));
    expect(r2.verdict).toBe('healthy'); // only the neutral name is refused: the mirror's own works
  });
});

describe('DNS', () => {
  it('a poisoned system answer (private, known forged) differs from DoH; the probe goes on to the real address', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const dns = await serve(startUdpDns({ 'mirror.test': { A: ['10.10.34.34'] } }));
    const doh = await serve(startDohServer({ 'mirror.test': { A: ['127.0.0.1'] } }));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
    const r = await probeOnce(
      prober({ resolver, dohUrl: doh.url, trustedRanges: ['127.0.0.0/8'] }),
      mirror(`http://mirror.test:${s.port}/`),
    );
    expect(find(r, 'dns-bogon')?.facts).toMatchObject({ address: '10.10.34.34', system: '10.10.34.34', doh: '127.0.0.1' });
    expect(find(r, 'dns-fingerprint')).toMatchObject({ confirmed: true, facts: { fingerprint: 'ferry.dns_ir_private' } });
    expect(r.verdict).toBe('blocked');
    expect(codes(r)).toContain('integrity-ok'); // reached through DoH's answer
    expect(doh.queries).toEqual(expect.arrayContaining(['A mirror.test', 'AAAA mirror.test']));
  });

  it('a Teredo answer is flagged; alone it is unreachable from one vantage point, not blocked', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const dns = await serve(startUdpDns({ 'mirror.test': { AAAA: ['2001:0:53aa:64c::1'] } }));
    const doh = await serve(startDohServer({ 'mirror.test': { A: ['127.0.0.1'] } }));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
    const r = await probeOnce(
      prober({ resolver, dohUrl: doh.url, trustedRanges: ['127.0.0.0/8'] }),
      mirror(`http://mirror.test:${s.port}/`),
    );
    expect(find(r, 'dns-teredo')).toMatchObject({ points: 'blocked', facts: { range: '2001::/32' } });
    expect(find(r, 'dns-teredo')?.confirmed).toBeUndefined();
    expect(r.verdict).toBe('unreachable');
  });

  it('no answer from the system resolver while DoH has one; no answer at all; a resolver that never answers ends at the deadline', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const dns = await serve(startUdpDns({}));
    const doh = await serve(startDohServer({ 'mirror.test': { A: ['127.0.0.1'] } }));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
    const r = await probeOnce(
      prober({ resolver, dohUrl: doh.url, trustedRanges: ['127.0.0.0/8'] }),
      mirror(`http://mirror.test:${s.port}/`),
    );
    expect(codes(r)).toContain('dns-system-failed');

    const none = await probeOnce(prober({ resolver }), mirror(`http://nowhere.test:${s.port}/`));
    expect(none.verdict).toBe('unreachable');
    expect(codes(none)).toEqual(['dns-failed']);

    const silent = await serve(startUdpDns({}, { silent: true }));
    const slow = new Resolver({ timeout: 5_000, tries: 1 });
    slow.setServers([`${silent.address}:${silent.port}`]);
    const hung = await probeOnce(prober({ resolver: slow }), mirror(`http://mirror.test:${s.port}/`));
    expect(find(hung, 'dns-failed')?.facts).toMatchObject({ system: '(timeout)' });
    expect(hung.elapsedMs).toBeLessThan(TIMEOUTS.dnsMs + 1_500);
  });

  it('the injection probe: an answer from an address that runs no resolver was injected', async () => {
    const s = await serve(startSnapshotServer(snapshot()));
    const dns = await serve(startUdpDns({ 'mirror.test': { A: ['127.0.0.1'] } }));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
    const injector = await serve(startUdpDns({ 'mirror.test': { A: ['93.46.8.90'] } })); // stands in for the path
    const r = await probeOnce(
      prober({ resolver, trustedRanges: ['127.0.0.0/8'], injection: { server: injector.address, port: injector.port, country: 'CN' } }),
      mirror(`http://mirror.test:${s.port}/`),
    );
    expect(find(r, 'dns-injected')).toMatchObject({ confirmed: true, points: 'blocked', facts: { injected: '93.46.8.90', country: 'CN' } });
    expect(r.verdict).toBe('blocked');

    const quiet = await serve(startUdpDns({}, { silent: true }));
    const clean = await probeOnce(
      prober({ resolver, trustedRanges: ['127.0.0.0/8'], injection: { server: quiet.address, port: quiet.port } }),
      mirror(`http://mirror.test:${s.port}/`),
    );
    expect(clean.verdict).toBe('healthy');
    expect(quiet.queries).toEqual(['mirror.test']);
  });
});

describe('the origin', () => {
  const FEED = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>tag:blogger.com,1999:blog-1</id><title>公民自由联盟 Citizens' liberty</title>${'<entry><title>post</title></entry>'.repeat(30)}</feed>`;
  const origin = (url: string): ProbeTarget => ({ id: '@origin', url, role: 'origin' });
  const controlOf =
    (server: SnapshotServer) =>
    async (_url: string, signal: AbortSignal): Promise<{ status: number; headers: Iterable<[string, string]>; body: string }> => {
      const res = await fetch(server.url, { signal });
      return { status: res.status, headers: res.headers, body: await res.text() };
    };

  it('reachable and answering like the control fetch: healthy, with no integrity layer', async () => {
    const real = await serve(startPageServer(FEED, { 'content-type': 'application/atom+xml', 'x-blogger-id': '1' }));
    const r = await probeOnce(prober({ control: controlOf(real) }), origin(real.url));
    expect(r.verdict).toBe('healthy');
    expect(codes(r)).toEqual(['tcp-ok', 'http-ok', 'control-match']);
    expect(real.requests).not.toContain('/manifest.json');
  });

  it('an answer unlike the control fetch is evidence of blocking; the ingest guard adds compromise evidence', async () => {
    const real = await serve(startPageServer(FEED, { 'content-type': 'application/atom+xml', 'x-blogger-id': '1' }));
    const notice = await serve(startPageServer('<html><title>Notice</title><body>Unavailable</body></html>'));
    const r = await probeOnce(prober({ control: controlOf(real) }), origin(notice.url));
    expect(find(r, 'control-differs')).toMatchObject({
      points: 'blocked',
      facts: { bodyLengthRatio: expect.any(Number), titleMatch: false },
    });
    expect(r.verdict).toBe('unreachable');

    const guarded = await probeOnce(
      prober({ originReport: () => ({ feedIdChanged: { from: 'tag:blogger.com,1999:blog-1', to: 'tag:evil' }, heldBack: 2 }) }),
      origin(real.url),
    );
    expect(guarded.verdict).toBe('compromised');
    expect(codes(guarded)).toEqual(expect.arrayContaining(['origin-feed-id-changed', 'origin-posts-held-back']));
  });
});
