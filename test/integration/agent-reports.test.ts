// Agents' signed reports over real HTTP: the receiver sub-app mounted under /_ferry/agent in a Hono
// app served by @hono/node-server on loopback, with the SQLite health store and agent registry in
// one file. Forged, unknown, stale, replayed, oversized and wrong-country reports are refused with
// their status and logged without their body; accepted ones are stored as the agent's results.
// Then a quorum: two agents in CN fail to reach a mirror that the checker itself reaches, through
// real probes of a loopback mirror, and the round says `blocked` in CN (one agent alone does not).
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteAgentRegistry } from '../../src/adapters/health/sqlite-agent-registry.ts';
import { createSqliteHealthStore } from '../../src/adapters/health/sqlite-health-store.ts';
import { createManifestProber } from '../../src/adapters/probes/manifest-prober.ts';
import { toBase64 } from '../../src/core/bytes.ts';
import { signAgentReport, type AgentReport } from '../../src/core/health/agent-report.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/core/health/health-state.ts';
import type { ProbeResult, Vantage } from '../../src/core/health/observation.ts';
import { generateKeyPair, keyFingerprint, type KeyPair } from '../../src/core/manifest.ts';
import { createAgentReports, type AgentReportEvent } from '../../src/health/agent-reports.ts';
import { runCheckRound, type RoundPolicies } from '../../src/health/check-round.ts';
import type { AgentRegistry } from '../../src/ports/agent-registry.ts';
import type { HealthStore } from '../../src/ports/health-store.ts';
import { refusedUrl, startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const publisher = testKeyPair(3);
const shanghai = generateKeyPair(new Uint8Array(32).fill(41));
const beijing = generateKeyPair(new Uint8Array(32).fill(42));
const stranger = generateKeyPair(new Uint8Array(32).fill(43));

let dir: string;
let server: ServerType;
let endpoint: string;
let registry: AgentRegistry;
let store: HealthStore;
let mirror: MirrorServer;
let blockedPath: string;
const events: AgentReportEvent[] = [];
/** The receiver's clock: real time, so the agents' real probes are fresh. */
const now = (): Date => new Date();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-agent-reports-'));
  const file = join(dir, 'health.db');
  store = createSqliteHealthStore(file);
  registry = createSqliteAgentRegistry(file);
  for (const [id, pair] of [
    ['shanghai-1', shanghai],
    ['beijing-1', beijing],
  ] as const) {
    await registry.enroll({ id, publicKey: toBase64(pair.publicKey), country: 'CN', enrolledAt: now().toISOString() });
  }
  const app = new Hono();
  app.route('/_ferry/agent', createAgentReports({ registry, store, now, log: (e) => events.push(e) }));
  await new Promise<void>((done) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      endpoint = `http://127.0.0.1:${info.port}/_ferry/agent/report`;
      done();
    });
  });
  const t = new Date();
  mirror = await startMirrorServer(
    makeSignedSnapshot(sampleFiles(), {
      version: 1,
      keyPair: publisher,
      now: t,
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://blog.example/',
    }),
  );
  blockedPath = await refusedUrl();
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await mirror.close();
  await registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function report(pair: KeyPair, results: ProbeResult[], over: Partial<AgentReport> = {}): AgentReport {
  return {
    agent: keyFingerprint(pair.publicKey),
    country: 'CN',
    sentAt: now().toISOString(),
    nonce: `nonce-${Math.random().toString(36).slice(2)}-${Date.now()}`,
    results,
    ...over,
  };
}

function failing(target: string, vantage: Vantage = { id: 'agent', kind: 'agent' }): ProbeResult {
  return {
    target,
    vantage,
    at: now().toISOString(),
    verdict: 'unreachable',
    evidence: [{ layer: 'tcp', code: 'tcp-reset', message: 'connection reset after the TLS ClientHello', points: 'blocked' }],
  };
}

async function post(body: string): Promise<{ status: number; json: unknown }> {
  const r = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: r.status, json: await r.json() };
}

const signed = (pair: KeyPair, r: AgentReport): string => JSON.stringify(signAgentReport(r, pair.privateKey, pair.publicKey));

describe('POST /_ferry/agent/report', () => {
  it('stores an enrolled agent’s report as its results, with its enrolled name and country', async () => {
    const body = signed(shanghai, report(shanghai, [failing('gh-pages', { id: 'local', kind: 'local' })]));
    const r = await post(body);
    expect(r).toEqual({ status: 200, json: { accepted: 1, ignored: [], agent: 'shanghai-1', country: 'CN' } });
    const stored = (await store.latestResults(new Date(Date.now() - 60_000).toISOString())).filter((x) => x.target === 'gh-pages');
    expect(stored.map((x) => [x.vantage, x.verdict])).toEqual([[{ id: 'shanghai-1', kind: 'agent', country: 'CN' }, 'unreachable']]);
    expect(events.at(-1)).toEqual({ type: 'agent-report-accepted', agent: 'shanghai-1', country: 'CN', results: 1, ignored: [] });

    // The very same bytes again: a replay.
    const again = await post(body);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: 'replayed' });
    expect(events.at(-1)).toMatchObject({ type: 'agent-report-rejected', status: 409, reason: 'replayed', agent: 'shanghai-1' });
  });

  it.each<[string, () => string, number, string]>([
    [
      'a forged report: signed by another key, claiming an enrolled one',
      () =>
        JSON.stringify({
          ...signAgentReport(report(stranger, [failing('x')]), stranger.privateKey, stranger.publicKey),
          key: keyFingerprint(shanghai.publicKey),
        }),
      401,
      'bad-signature',
    ],
    [
      'a report whose signed bytes were changed on the way',
      () => {
        const s = signAgentReport(report(beijing, [failing('x')]), beijing.privateKey, beijing.publicKey);
        const other = signAgentReport(report(beijing, [failing('y')]), beijing.privateKey, beijing.publicKey);
        return JSON.stringify({ ...s, payload: other.payload });
      },
      401,
      'bad-signature',
    ],
    ['a key nobody enrolled', () => signed(stranger, report(stranger, [failing('x')])), 401, 'unknown-key'],
    [
      'a stale report (sent 11 minutes ago)',
      () => signed(beijing, report(beijing, [], { sentAt: new Date(Date.now() - 11 * 60_000).toISOString() })),
      422,
      'stale',
    ],
    [
      'a report dated 5 minutes ahead',
      () => signed(beijing, report(beijing, [], { sentAt: new Date(Date.now() + 5 * 60_000).toISOString() })),
      422,
      'from-the-future',
    ],
    ['a report from another country than enrolled', () => signed(beijing, report(beijing, [], { country: 'IR' })), 403, 'country-mismatch'],
    ['a body that is not JSON', () => '{"format":', 400, 'malformed'],
    ['JSON that is not a report', () => JSON.stringify({ hello: 'world' }), 400, 'malformed'],
    ['a body over 1 MiB', () => JSON.stringify({ padding: 'x'.repeat(1024 * 1024 + 10) }), 413, 'too-large'],
  ])('refuses %s, and logs why without the body', async (_name, body, status, reason) => {
    const before = (await store.history({ limit: 10_000 })).length;
    const text = body();
    const r = await post(text);
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ error: reason });
    const logged = events.at(-1);
    expect(logged).toMatchObject({ type: 'agent-report-rejected', status, reason });
    expect(JSON.stringify(logged)).not.toContain(text.slice(0, 80));
    expect((await store.history({ limit: 10_000 })).length).toBe(before);
  });

  it('refuses a chunked body over the limit too (no Content-Length to trust)', async () => {
    const { port } = new URL(endpoint);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/_ferry/agent/report', method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 20; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(events.at(-1)).toMatchObject({ reason: 'too-large' });
  });

  it('has no CORS headers: browsers have no business here', async () => {
    const r = await fetch(endpoint, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{}' });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a quorum of agents in CN', () => {
  const POLICIES: RoundPolicies = {
    health: DEFAULT_HEALTH_POLICY,
    round: { quorum: 2 },
    canonical: { cooldownMs: 30 * 60_000 },
    reportWindowMs: 10 * 60_000,
  };

  /** An agent in CN probes the mirror for real: its path to the mirror is cut (a refused port). */
  async function agentProbes(pair: KeyPair, target: string): Promise<number> {
    const prober = createManifestProber({ publicKey: publisher.publicKey, timeoutMs: 2000 });
    const result = await prober.probe(
      { id: target, url: blockedPath, role: 'mirror' },
      { vantage: { id: 'me', kind: 'agent', country: 'CN' }, round: 0 },
    );
    expect(result.verdict).toBe('unreachable');
    return (await post(signed(pair, report(pair, [result])))).status;
  }

  async function localRound(target: string): Promise<{ verdict: string; blockedIn: string[] } | undefined> {
    const outcome = await runCheckRound({
      targets: [{ id: target, url: mirror.url, role: 'mirror', priority: 1, canonicalAllowed: true }],
      prober: createManifestProber({ publicKey: publisher.publicKey, timeoutMs: 2000 }),
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: POLICIES,
      round: 1,
      now,
    });
    expect(outcome.results[0]?.verdict).toBe('healthy');
    const v = outcome.verdicts.find((x) => x.target === target);
    return v === undefined ? undefined : { verdict: v.verdict, blockedIn: v.blockedIn };
  }

  it('one agent failing while the checker gets through is not a block', async () => {
    expect(await agentProbes(shanghai, 'quorum-one')).toBe(200);
    expect(await localRound('quorum-one')).toEqual({ verdict: 'healthy', blockedIn: [] });
  });

  it('two agents failing while the checker gets through: blocked in CN', async () => {
    expect(await agentProbes(shanghai, 'quorum-two')).toBe(200);
    expect(await agentProbes(beijing, 'quorum-two')).toBe(200);
    expect(await localRound('quorum-two')).toEqual({ verdict: 'blocked', blockedIn: ['CN'] });
  });
});
