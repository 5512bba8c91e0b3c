// Alerts end to end with a fixed clock: ferry.config.json's alerts (parsed, secrets from the
// environment) -> check rounds (scripted prober, real state machine and canonical choice) ->
// openAlertService (dispatchRoundAlerts) -> a webhook receiver, a real SMTP server and a Bot-API-shaped server on
// loopback, with the SQLite alert log. A mirror goes down (problem + canonical move), the problem is
// repeated after the interval while the webhook is broken (the others still get it), the process
// restarts, the webhook gets what it missed, and the recovery goes to all three, once.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteAlertLog } from '../../src/adapters/alerts/sqlite-alert-log.ts';
import { createMemoryHealthStore } from '../../src/adapters/health/memory-health-store.ts';
import { parseConfig } from '../../src/core/config.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/core/health/health-state.ts';
import { ORIGIN_TARGET, type Evidence, type Verdict } from '../../src/core/health/observation.ts';
import { runCheckRound, type CheckTarget, type RoundPolicies } from '../../src/health/check-round.ts';
import { dispatchAlerts } from '../../src/health/dispatch-alerts.ts';
import { openAlertService, type AlertService } from '../../src/node/alerters.ts';
import type { Alerter } from '../../src/ports/alerter.ts';
import type { Prober } from '../../src/ports/prober.ts';
import { startFakeTelegramApi, type FakeTelegramApi } from '../helpers/fake-telegram-api.ts';
import { startMailServer, type MailServer } from '../helpers/mail-server.ts';

const T0 = Date.parse('2026-12-07T08:00:00Z');
const TOKEN = '987654321:AAF-dispatch_test_token_0123456789a';
const CHAT = '-1009876543210';
const POLICIES: RoundPolicies = {
  health: DEFAULT_HEALTH_POLICY,
  round: { quorum: 2 },
  canonical: { cooldownMs: 30 * 60_000 },
  reportWindowMs: 15 * 60_000,
};
const TARGETS: CheckTarget[] = [
  { id: 'a', url: 'https://a.example.org/', role: 'mirror', priority: 1, canonicalAllowed: true },
  { id: 'b', url: 'https://b.example.org/', role: 'mirror', priority: 2, canonicalAllowed: true },
  { id: ORIGIN_TARGET, url: 'https://origin.example.org/feeds/posts/default', role: 'origin', priority: 0, canonicalAllowed: false },
];
const URLS = Object.fromEntries(TARGETS.map((t) => [t.id, t.url]));
const EVIDENCE: Record<Verdict, Evidence[]> = {
  healthy: [],
  degraded: [],
  unreachable: [{ layer: 'tcp', code: 'tcp-refused', message: 'connection refused (203.0.113.7:443)', points: 'unreachable' }],
  blocked: [],
  compromised: [],
};

let hook: Server;
let hookBase = '';
let hookBroken = false;
const hookBodies: unknown[] = [];
let mail: MailServer;
let telegram: FakeTelegramApi;
const dir = mkdtempSync(join(tmpdir(), 'ferry-dispatch-'));

beforeAll(async () => {
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hookBroken) return void res.writeHead(503).end('down for maintenance');
      hookBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  mail = await startMailServer();
  telegram = await startFakeTelegramApi({ token: TOKEN, chats: [CHAT] });
});
afterAll(async () => {
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
  await mail.close();
  await telegram.close();
  rmSync(dir, { recursive: true, force: true });
});

function configText(): string {
  return JSON.stringify({
    alerts: [
      { kind: 'webhook', url: `${hookBase}/hooks/ferry`, secretEnv: 'HOOK_SECRET' },
      {
        id: 'mail',
        kind: 'smtp',
        host: '127.0.0.1',
        port: mail.port,
        requireTls: false,
        from: 'ferry@example.org',
        to: ['ops@example.org'],
      },
      { id: 'tg', kind: 'telegram', tokenEnv: 'TG_TOKEN', chatId: CHAT, apiBase: telegram.apiBase, repeatEverySeconds: 3600 },
    ],
  });
}

const ENV = { HOOK_SECRET: 'hook-secret', TG_TOKEN: TOKEN };

describe('dispatching alerts after check rounds', () => {
  it('tells a problem and the canonical move, repeats it, survives a broken alerter and a restart, and tells the recovery once', async () => {
    const logFile = join(dir, 'alerts.db');
    const config = parseConfig(configText(), '/srv/ferry/ferry.config.json');
    expect(config.alerts.map((a) => a.id)).toEqual(['webhook', 'mail', 'tg']);
    let minutes = 0;
    const clock = (): Date => new Date(T0 + minutes * 60_000);
    const open = (): AlertService =>
      openAlertService({
        alerts: config.alerts,
        file: '/srv/ferry/ferry.config.json',
        env: ENV,
        logFile,
        urls: URLS,
        now: clock,
        timeoutMs: 15_000,
      });
    let service = open();
    expect(service.count).toBe(3);
    const store = createMemoryHealthStore();
    let verdicts: Record<string, Verdict> = {};
    const prober: Prober = {
      async probe(target, { vantage }) {
        const verdict = verdicts[target.id] ?? 'healthy';
        return { target: target.id, vantage, at: clock().toISOString(), verdict, evidence: EVIDENCE[verdict] };
      },
    };
    let round = 0;
    const step = async (t: number): Promise<Array<[string, boolean, string[]]>> => {
      minutes = t;
      const outcome = await runCheckRound({
        targets: TARGETS,
        prober,
        store,
        vantage: { id: 'local', kind: 'local' },
        policies: POLICIES,
        round: round++,
        now: clock,
      });
      const { attempts } = await service.dispatch(outcome);
      return attempts.map((a) => [a.alerter, a.ok, a.items]);
    };

    // First round: all healthy, 'a' becomes canonical; that is remembered, not told.
    expect(await step(0)).toEqual([]);
    // 'a' refuses connections: three rounds to go down; then it is left for 'b' at once.
    verdicts = { a: 'unreachable' };
    expect(await step(5)).toEqual([]);
    expect(await step(10)).toEqual([]);
    const told = ['problem:a', 'canonical:canonical'];
    expect(await step(15)).toEqual([
      ['webhook', true, told],
      ['mail', true, told],
      ['tg', true, told],
    ]);
    expect(await step(20)).toEqual([]);

    // The webhook breaks; an hour after the first alert the problem is repeated to the others.
    hookBroken = true;
    expect(await step(74)).toEqual([]);
    expect(await step(75)).toEqual([
      ['webhook', false, ['repeat:a']],
      ['mail', true, ['repeat:a']],
      ['tg', true, ['repeat:a']],
    ]);
    const views = await service.views(3);
    expect(views.map((v) => [v.channel, v.ok])).toEqual(
      expect.arrayContaining([
        ['webhook', false],
        ['mail', true],
        ['tg', true],
      ]),
    );
    expect(views.find((v) => !v.ok)?.error).toBe(`webhook ${hookBase}: answered HTTP 503: down for maintenance`);

    // Restart: a new log handle on the same file, new alerters. The webhook is back and gets what it missed.
    await service.close();
    service = open();
    hookBroken = false;
    expect(await step(80)).toEqual([['webhook', true, ['repeat:a']]]);

    // 'a' answers again: two good rounds to come back; the recovery goes to all, once.
    verdicts = {};
    expect(await step(85)).toEqual([]);
    expect(await step(90)).toEqual([
      ['webhook', true, ['recovery:a']],
      ['mail', true, ['recovery:a']],
      ['tg', true, ['recovery:a']],
    ]);
    expect(await step(95)).toEqual([]);
    // After the cooldown the canonical goes back to 'a' (priority 1): told once, as a move.
    const back = ['canonical:canonical'];
    expect(await step(200)).toEqual([
      ['webhook', true, back],
      ['mail', true, back],
      ['tg', true, back],
    ]);
    expect(await step(205)).toEqual([]);

    // What each one received.
    expect(mail.received.map((m) => m.subject)).toEqual([
      '[Ferry] 镜像 a：无法访问 / mirror a: unreachable (+1)',
      '[Ferry] 镜像 a：仍然 无法访问 / mirror a: still unreachable',
      '[Ferry] 镜像 a：已恢复 / mirror a: recovered',
      '[Ferry] 主地址改为 a / canonical moved to a',
    ]);
    expect(mail.received[3]?.body).toContain('原主地址：b');
    expect(mail.received[0]?.body).toContain('2. 主地址改为 b <https://b.example.org/>');
    expect(mail.received[0]?.body).toContain('[TCP] tcp-refused: connection refused (203.0.113.7:443)');
    expect(mail.received[1]?.body).toContain('since 2026-12-07 08:15 UTC (1 h 0 min)');
    expect(mail.received[2]?.body).toContain('problem began 2026-12-07 08:15 UTC (1 h 15 min ago)');
    expect(telegram.sent.map((m) => m.text.split('\n')[0])).toEqual(mail.received.map((m) => m.subject));
    expect(hookBodies.map((b) => (b as { items: Array<{ kind: string }> }).items.map((i) => i.kind))).toEqual([
      ['problem', 'canonical'],
      ['repeat'],
      ['recovery'],
      ['canonical'],
    ]);
    expect((hookBodies[0] as { canonical: unknown }).canonical).toMatchObject({ id: 'b', url: 'https://b.example.org/' });
    await service.close();
  }, 60_000);

  it('a hanging alerter holds up no other, and its failure is recorded', async () => {
    const log = createSqliteAlertLog(join(dir, 'hang.db'));
    const hanging: Alerter = {
      id: 'stuck',
      kind: 'webhook',
      send: (_alert, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const delivered: string[] = [];
    const quick: Alerter = {
      id: 'quick',
      kind: 'webhook',
      async send(alert) {
        delivered.push(alert.subject);
      },
    };
    const policy = { repeatEverySeconds: 3600, degraded: false };
    const ac = new AbortController();
    const states = [
      {
        target: 'a',
        state: 'blocked' as const,
        since: new Date(T0).toISOString(),
        streak: 0,
        lastRoundAt: new Date(T0).toISOString(),
        evidence: [],
        blockedIn: ['CN'],
      },
    ];
    const started = Date.now();
    setTimeout(() => ac.abort(), 200);
    const { attempts } = await dispatchAlerts({
      alerters: [
        { alerter: hanging, policy },
        { alerter: quick, policy },
      ],
      log,
      states,
      canonical: undefined,
      now: () => new Date(T0),
      signal: ac.signal,
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(delivered).toEqual(['[Ferry] 镜像 a：被封锁 (CN) / mirror a: blocked (CN)']);
    expect(attempts.map((a) => [a.alerter, a.ok, a.error])).toEqual([
      ['stuck', false, 'the alerter failed: aborted'],
      ['quick', true, undefined],
    ]);
    // Only the delivered one is remembered: the stuck one is planned again next time.
    expect((await log.told()).map((t) => t.alerter)).toEqual(['quick']);
    await log.close();
  });
});
