// The agent flow end to end with the real CLI processes: a volunteer makes a key (ferry keygen),
// the maintainers enroll it (ferry agent enroll, into the health store file), the volunteer runs
// ferry probe --report-to against a receiver listening on loopback (the sub-app ferry serve mounts,
// over the same file) and a loopback mirror; the receiver stores the report's results as the
// agent's. A wrong country is refused, and after ferry agent remove the same agent is refused.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteAgentRegistry } from '../../src/adapters/health/sqlite-agent-registry.ts';
import { createSqliteHealthStore } from '../../src/adapters/health/sqlite-health-store.ts';
import { isRecord } from '../../src/core/is-record.ts';
import { encodePublicKeyPem } from '../../src/core/manifest.ts';
import { createAgentReports, type AgentReportEvent } from '../../src/health/agent-reports.ts';
import type { AgentRegistry } from '../../src/ports/agent-registry.ts';
import type { HealthStore } from '../../src/ports/health-store.ts';
import { refusedUrl, startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';
import { runChild } from '../helpers/child-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const publisher = testKeyPair(5);

let dir: string;
let db: string;
let server: ServerType;
let endpoint: string;
let registry: AgentRegistry;
let store: HealthStore;
let mirror: MirrorServer;
const events: AgentReportEvent[] = [];

async function ferry(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const run = await runChild(process.execPath, [join(ROOT, 'bin/ferry.js'), ...args], { cwd: dir, timeoutMs: 60_000 });
  return { code: run.code ?? 1, out: run.stdout, err: run.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-agent-cli-'));
  db = join(dir, 'state', 'health.db');
  writeFileSync(join(dir, 'publisher.pub'), encodePublicKeyPem(publisher.publicKey));
  mirror = await startMirrorServer(
    makeSignedSnapshot(sampleFiles(), {
      version: 4,
      keyPair: publisher,
      now: new Date(),
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://blog.example/',
    }),
  );
  const cut = await refusedUrl();
  writeFileSync(
    join(dir, 'mirrors.json'),
    JSON.stringify({
      mirrors: [
        { id: 'good', kind: 'http', url: mirror.url, priority: 1 },
        { id: 'cut', kind: 'http', url: cut, priority: 2 },
        { id: 'here', kind: 'directory', path: 'site', priority: 3 },
      ],
    }),
  );
  store = createSqliteHealthStore(db);
  registry = createSqliteAgentRegistry(db);
  const app = new Hono();
  app.route('/_ferry/agent', createAgentReports({ registry, store, log: (e) => events.push(e) }));
  await new Promise<void>((done) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      endpoint = `http://127.0.0.1:${info.port}/_ferry/agent/report`;
      done();
    });
  });
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await mirror.close();
  await registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ferry agent + ferry probe', () => {
  it('enrolls a volunteer key, then takes its signed report; refuses a wrong country, and everything once removed', async () => {
    expect((await ferry(['keygen', '--out', 'volunteer'])).code).toBe(0);

    const enrolled = await ferry([
      'agent',
      'enroll',
      '--name',
      'shanghai-1',
      '--country',
      'CN',
      '--pubkey',
      'volunteer/ferry.pub',
      '--state',
      db,
    ]);
    expect(enrolled).toMatchObject({ code: 0 });
    expect(enrolled.out).toMatch(/enrolled agent 'shanghai-1' in CN, key [0-9a-f]{16}/);

    const probeArgs = [
      'probe',
      '--report-to',
      endpoint,
      '--key',
      'volunteer/ferry.key',
      '--mirrors',
      'mirrors.json',
      '--pubkey',
      'publisher.pub',
      '--timeout',
      '5',
    ];
    const sent = await ferry([...probeArgs, '--country', 'CN']);
    expect(sent.err).toContain('report accepted by');
    expect(sent.err).toContain("as agent 'shanghai-1'");
    expect(sent.code).toBe(0);
    expect(sent.out).toContain('good: healthy');
    expect(sent.out).toContain('cut: unreachable');
    const stored = await store.latestResults(new Date(Date.now() - 10 * 60_000).toISOString());
    expect(stored.map((r) => [r.target, r.vantage.id, r.vantage.country, r.verdict])).toEqual([
      ['cut', 'shanghai-1', 'CN', 'unreachable'],
      ['good', 'shanghai-1', 'CN', 'healthy'],
    ]);
    expect(stored.find((r) => r.target === 'good')?.manifestVersion).toBe(4);

    const elsewhere = await ferry([...probeArgs, '--country', 'IR']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.err).toMatch(/refused .*HTTP 403: agent 'shanghai-1' is enrolled in CN but reports from IR/);

    const listed = await ferry(['agent', 'list', '--state', db, '--json']);
    expect(JSON.parse(listed.out)).toMatchObject({ agents: [{ name: 'shanghai-1', country: 'CN' }] });

    expect((await ferry(['agent', 'remove', 'shanghai-1', '--state', db])).code).toBe(0);
    const removed = await ferry(probeArgs);
    expect(removed.code).toBe(1);
    expect(removed.err).toMatch(/HTTP 401: no agent is enrolled with key/);
    expect(events.map((e) => (e.type === 'agent-report-accepted' ? 'accepted' : e.reason))).toEqual([
      'accepted',
      'country-mismatch',
      'unknown-key',
    ]);
  }, 120_000);

  it('says what is wrong with its arguments, and shows with --dry-run exactly what it would send', async () => {
    const http = await ferry([
      'probe',
      '--report-to',
      'http://blog.example/_ferry/agent/report',
      '--key',
      'k',
      '--mirrors',
      'm',
      '--pubkey',
      'p',
    ]);
    expect(http.code).toBe(2);
    expect(http.err).toContain('--report-to must be an https URL');

    const dry = await ferry([
      'probe',
      '--dry-run',
      '--key',
      'volunteer/ferry.key',
      '--mirrors',
      'mirrors.json',
      '--pubkey',
      'publisher.pub',
      '--timeout',
      '5',
    ]);
    expect(dry.code).toBe(0);
    const report: unknown = JSON.parse(dry.out);
    if (!isRecord(report) || !Array.isArray(report.results)) throw new Error(`not a report: ${dry.out}`);
    expect(Object.keys(report).sort()).toEqual(['agent', 'nonce', 'results', 'sentAt']);
    const results: unknown[] = report.results;
    expect(results.map((r) => (isRecord(r) ? r.target : undefined))).toEqual(['good', 'cut']);

    const bad = await ferry(['agent', 'enroll', '--name', 'local', '--country', 'CN', '--pubkey', 'volunteer/ferry.pub', '--state', db]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("agent name 'local' is taken by a built-in vantage point");
  }, 120_000);
});
