// OONI and the Worker as vantage points of a real check round: read over HTTP from loopback
// stand-ins (OONI's API shapes; the Worker route's shape and token), recorded in the store, and
// combined with the local probe and an agent's report. The local prober is scripted (a test double
// of our Prober port: the probes themselves are tested against real servers elsewhere).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { createOoniSource } from '../../src/adapters/probes/ooni-source.ts';
import { createWorkerHealthClient } from '../../src/adapters/probes/worker-health-client.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/core/health/health-state.ts';
import type { ProbeResult } from '../../src/core/health/observation.ts';
import { runCheckRound, type CheckTarget } from '../../src/health/check-round.ts';
import { createRemoteVantages } from '../../src/health/remote-vantages.ts';
import type { Prober } from '../../src/ports/prober.ts';
import { ooniRow, startFakeOoniApi, type FakeOoniApi } from '../helpers/fake-ooni-api.ts';
import { startFakeWorkerHealth, type FakeWorkerHealth } from '../helpers/fake-worker-health.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (minutes: number): Date => new Date(NOW.getTime() - minutes * 60_000);
const TOKEN = 'worker-health-token';
const targets: CheckTarget[] = [
  { id: 'gh', url: 'https://gh.example.org/', role: 'mirror', priority: 1, canonicalAllowed: true },
  { id: 'cf', url: 'https://cf.example.net/', role: 'mirror', priority: 2, canonicalAllowed: true },
];
const healthyLocal: Prober = {
  async probe(target, { vantage }) {
    return { target: target.id, vantage, at: NOW.toISOString(), verdict: 'healthy', evidence: [] };
  },
};
const workerResult = (target: string, verdict: 'healthy' | 'compromised', at: Date): ProbeResult => ({
  target,
  vantage: { id: 'worker', kind: 'worker' },
  at: at.toISOString(),
  verdict,
  evidence:
    verdict === 'healthy'
      ? [{ layer: 'http', code: 'http-ok', message: 'HTTP 200 in 80 ms', points: 'healthy' }]
      : [
          {
            layer: 'integrity',
            code: 'integrity-mismatch',
            message: 'cf: /index.html does not match the manifest',
            points: 'compromised',
            confirmed: true,
          },
        ],
});

let ooni: FakeOoniApi;
let worker: FakeWorkerHealth;
beforeAll(async () => {
  ooni = await startFakeOoniApi([
    ...[10, 40, 90, 200].map((m) => ooniRow('https://gh.example.org/', ago(m), { anomaly: true, blocking_type: 'dns' })),
    ...[20, 60, 120].map((m) => ooniRow('https://cf.example.net/', ago(m))),
  ]);
  worker = await startFakeWorkerHealth(TOKEN);
  worker.entries = [
    // The Worker (outside China) gets through to gh; cf serves it a planted script; 'old' is not a target any more.
    { mirror: 'gh', results: [workerResult('gh', 'healthy', ago(3)), workerResult('gh', 'healthy', ago(8))] },
    { mirror: 'cf', results: [workerResult('cf', 'compromised', ago(3))] },
    { mirror: 'old', results: [workerResult('old', 'healthy', ago(3))] },
  ];
});
afterAll(async () => {
  await Promise.all([ooni.close(), worker.close()]);
});

describe('remote vantage points in a round', () => {
  it('OONI anomalies plus an agent in CN make gh blocked there; the Worker finds cf compromised', async () => {
    const store = createMemoryHealthStore();
    await store.recordResults([
      {
        target: 'gh',
        vantage: { id: 'volunteer', kind: 'agent', country: 'CN' },
        at: ago(2).toISOString(),
        verdict: 'unreachable',
        evidence: [{ layer: 'tcp', code: 'tcp-reset', message: 'connection reset', points: 'blocked' }],
      },
    ]);
    let clock = NOW;
    const remote = createRemoteVantages({
      ooni: createOoniSource({ baseUrl: ooni.baseUrl, now: () => clock }),
      worker: createWorkerHealthClient({ url: worker.url, token: TOKEN }),
      now: () => clock,
    });
    const first = await remote.collect(targets, store);
    expect(first.problems).toEqual([]);
    expect(first.askedOoni).toBe(true);
    expect(first.recorded.map((r) => `${r.target}/${r.vantage.id}/${r.verdict}`).sort()).toEqual([
      'cf/ooni-cn/healthy',
      'cf/worker/compromised',
      'gh/ooni-cn/unreachable',
      'gh/worker/healthy',
    ]);

    const outcome = await runCheckRound({
      targets,
      prober: healthyLocal,
      store,
      vantage: { id: 'local', kind: 'local' },
      policies: { health: DEFAULT_HEALTH_POLICY, round: { quorum: 2 }, canonical: { cooldownMs: 0 }, reportWindowMs: 15 * 60_000 },
      round: 1,
      now: () => NOW,
    });
    const verdicts = new Map(outcome.verdicts.map((v) => [v.target, v]));
    expect(verdicts.get('gh')).toMatchObject({ verdict: 'blocked', blockedIn: ['CN'] });
    expect(verdicts.get('gh')?.vantages.sort()).toEqual(['local', 'ooni-cn', 'volunteer', 'worker']);
    expect(verdicts.get('cf')?.verdict).toBe('compromised');

    // Ten minutes on: OONI is not asked again, its results are restated ten minutes older; the Worker's are not repeated.
    const requests = ooni.requests.length;
    clock = new Date(NOW.getTime() + 600_000);
    const second = await remote.collect(targets, store);
    expect(ooni.requests.length).toBe(requests);
    expect(second.askedOoni).toBe(false);
    expect(second.recorded.map((r) => r.vantage.id)).toEqual(['ooni-cn', 'ooni-cn']);
    const gh = second.recorded.find((r) => r.target === 'gh');
    expect(gh?.at).toBe(clock.toISOString());
    expect(gh?.evidence[0]?.ageSeconds).toBe(600 + 600);

    // An hour on, OONI is asked again.
    clock = new Date(NOW.getTime() + 3_600_000);
    expect((await remote.collect(targets, store)).askedOoni).toBe(true);
  });

  it('a wrong token or a dead Worker is a problem, not a stop; OONI still counts', async () => {
    const store = createMemoryHealthStore();
    const remote = createRemoteVantages({
      ooni: createOoniSource({ baseUrl: ooni.baseUrl, now: () => NOW }),
      worker: createWorkerHealthClient({ url: worker.url, token: 'nope' }),
      now: () => NOW,
    });
    const out = await remote.collect(targets, store);
    expect(out.problems).toEqual([expect.stringMatching(/^Worker: http:\/\/127\.0\.0\.1:\d+\/_ferry\/health\/worker: answered HTTP 401/)]);
    expect(out.recorded.every((r) => r.vantage.kind === 'ooni')).toBe(true);

    const dead = createWorkerHealthClient({ url: 'http://127.0.0.1:9/', token: TOKEN, timeoutMs: 2000 });
    expect((await dead.read(new Set(['gh']))).problem).toMatch(/cannot connect/);
  });

  it('takes the Worker results only as the Worker and only for known targets', async () => {
    const saved = worker.entries;
    worker.entries = [{ mirror: 'gh', results: [{ ...workerResult('gh', 'healthy', ago(1)), vantage: { id: 'local', kind: 'local' } }] }];
    const { results } = await createWorkerHealthClient({ url: worker.url, token: TOKEN }).read(new Set(['gh']));
    expect(results.map((r) => r.vantage)).toEqual([{ id: 'worker', kind: 'worker' }]);
    worker.entries = [{ mirror: 'gh', results: [{ target: 'gh', verdict: 'fine' }] }];
    const bad = await createWorkerHealthClient({ url: worker.url, token: TOKEN }).read(new Set(['gh']));
    expect(bad.results).toEqual([]);
    expect(bad.problem).toMatch(/mirrors\[0\]\.results\[0\]\.verdict: expected a verdict/);
    worker.entries = saved;
  });
});
