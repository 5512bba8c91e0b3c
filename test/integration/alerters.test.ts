// Each alerter against a real server on loopback: a webhook receiver (node:http) gets signed JSON;
// a real SMTP server (smtp-server) receives the mail, read back by Python's MIME parser (Chinese
// subject decoded, UTF-8 body, STARTTLS with a verified certificate, login); a Telegram-shaped
// loopback API checks the Bot API's request shapes. Failures (HTTP 500, a hang, an untrusted
// certificate, a bad token, a rate limit) are AlertErrors with no secret in them.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpAlerter } from '../../src/adapters/alerts/smtp-alerter.ts';
import { TELEGRAM_MAX_TEXT, createTelegramAlerter } from '../../src/adapters/alerts/telegram-alerter.ts';
import { MAX_WEBHOOK_BODY, MAX_WEBHOOK_ITEMS, createWebhookAlerter, webhookBody } from '../../src/adapters/alerts/webhook-alerter.ts';
import { planAlerts } from '../../src/core/health/alert-plan.ts';
import { renderAlert } from '../../src/core/health/alert-text.ts';
import type { Evidence } from '../../src/core/health/observation.ts';
import { AlertError, type OutgoingAlert } from '../../src/ports/alerter.ts';
import { startFakeTelegramApi, type FakeTelegramApi } from '../helpers/fake-telegram-api.ts';
import { startMailServer } from '../helpers/mail-server.ts';

const NOW = '2026-12-07T10:00:00.000Z';

function sampleAlert(): OutgoingAlert {
  const plan = planAlerts({
    told: [],
    states: [
      {
        target: 'gh-pages',
        state: 'blocked',
        since: '2026-12-07T09:40:00.000Z',
        streak: 0,
        lastRoundAt: NOW,
        evidence: [
          { layer: 'dns', code: 'dns-bogon', message: 'resolver answered 10.0.0.1', points: 'blocked', facts: { address: '10.0.0.1' } },
        ],
        blockedIn: ['CN'],
      },
    ],
    canonical: { id: undefined, since: NOW, reason: 'no mirror may be canonical' },
    recipients: [{ id: 'a', policy: { repeatEverySeconds: 3600, degraded: false } }],
    now: NOW,
    urls: { 'gh-pages': 'https://org.github.io/blog/' },
  });
  const message = plan.send[0]?.message;
  if (message === undefined) throw new Error('the plan made no message');
  return { message, ...renderAlert(message) };
}

async function failure(p: Promise<unknown>): Promise<AlertError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AlertError) return e;
    throw e;
  }
  throw new Error('expected an AlertError');
}

describe('webhook alerter', () => {
  interface Hit {
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
    body: string;
  }
  const hits: Hit[] = [];
  let mode: 'ok' | 'error' | 'hang' | 'redirect' = 'ok';
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (mode === 'hang') return;
        if (mode === 'redirect') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
        else if (mode === 'error') res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver is broken');
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs the alert as JSON, signed with the shared secret', async () => {
    mode = 'ok';
    hits.length = 0;
    const alert = sampleAlert();
    await createWebhookAlerter({ id: 'hook', url: `${base}/hooks/T0123/secret-path`, secret: 's3cret' }).send(alert);
    expect(hits).toHaveLength(1);
    const hit = hits[0];
    if (hit === undefined) return;
    expect(hit.method).toBe('POST');
    expect(hit.path).toBe('/hooks/T0123/secret-path');
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
    const expected = createHmac('sha256', 's3cret').update(hit.body, 'utf8').digest('hex');
    expect(hit.headers['x-ferry-signature']).toBe(`sha256=${expected}`);
    const doc: unknown = JSON.parse(hit.body);
    expect(doc).toMatchObject({
      ferry: 'alert',
      version: 1,
      alerter: 'a',
      at: NOW,
      subject: alert.subject,
      text: alert.text,
      omitted: 0,
      canonical: { id: null, since: NOW, reason: 'no mirror may be canonical' },
      items: [
        {
          kind: 'problem',
          target: 'gh-pages',
          url: 'https://org.github.io/blog/',
          state: 'blocked',
          blockedIn: ['CN'],
          evidence: [{ code: 'dns-bogon', facts: { address: '10.0.0.1' } }],
        },
        { kind: 'canonical', to: null },
      ],
    });
    expect(alert.subject).toContain('被封锁 (CN)');
  });

  it('sends no signature header without a secret', async () => {
    mode = 'ok';
    hits.length = 0;
    await createWebhookAlerter({ id: 'hook', url: `${base}/plain` }).send(sampleAlert());
    expect(hits[0]?.headers['x-ferry-signature']).toBeUndefined();
  });

  it('a non-2xx answer, a redirect and a hang are errors naming the origin only, never the path', async () => {
    // The short deadline for the hang only: on a loaded machine an answer can take over 300 ms.
    const alerter = createWebhookAlerter({ id: 'hook', url: `${base}/hooks/T0123/secret-path` }, { timeoutMs: 10_000 });
    const impatient = createWebhookAlerter({ id: 'hook', url: `${base}/hooks/T0123/secret-path` }, { timeoutMs: 300 });
    mode = 'error';
    const e500 = await failure(alerter.send(sampleAlert()));
    expect(e500.message).toBe(`alert 'hook': webhook ${base}: answered HTTP 500: receiver is broken`);
    mode = 'redirect';
    const e302 = await failure(alerter.send(sampleAlert()));
    expect(e302.detail).toContain('redirects are not followed');
    mode = 'hang';
    const started = Date.now();
    const hang = await failure(impatient.send(sampleAlert()));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(hang.detail).toContain('no complete answer within 300 ms');
    for (const e of [e500, e302, hang]) expect(e.message).not.toContain('secret-path');
  });

  it('keeps the body bounded however many mirrors are in trouble', () => {
    const alert = sampleAlert();
    const first = alert.message.items[0];
    if (first === undefined) throw new Error('no item');
    const evidence = Array.from({ length: 5 }, (): Evidence => ({
      layer: 'http',
      code: 'slow',
      message: 'x'.repeat(2000),
      points: 'degraded',
    }));
    const items = Array.from({ length: 300 }, (_, i) => ({ ...first, target: `m${i}`, evidence }));
    const body = webhookBody({ ...alert, message: { ...alert.message, items } });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_WEBHOOK_BODY);
    const doc = JSON.parse(body) as { items: unknown[]; omitted: number };
    expect(doc.items.length + doc.omitted).toBe(300);
    expect(doc.items.length).toBeLessThanOrEqual(MAX_WEBHOOK_ITEMS);
  });

  it('stops when the caller aborts', async () => {
    mode = 'hang';
    const ac = new AbortController();
    const p = createWebhookAlerter({ id: 'hook', url: `${base}/x` }, { timeoutMs: 10_000 }).send(sampleAlert(), ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect((await failure(p)).detail).toContain('cancelled');
  });
});

describe('smtp alerter', () => {
  it('delivers a mail a real SMTP server receives, Chinese subject and body decoded', async () => {
    const server = await startMailServer();
    try {
      const alert = sampleAlert();
      await createSmtpAlerter({
        id: 'mail',
        host: '127.0.0.1',
        port: server.port,
        secure: false,
        requireTls: false,
        from: 'Ferry <ferry@example.org>',
        to: ['a@example.org', 'b@example.org'],
      }).send(alert);
      expect(server.received).toHaveLength(1);
      const mail = server.received[0];
      if (mail === undefined) return;
      expect(mail.envelopeFrom).toBe('ferry@example.org');
      expect(mail.envelopeTo).toEqual(['a@example.org', 'b@example.org']);
      expect(mail.subject).toBe(alert.subject);
      expect(mail.subject).toContain('[Ferry] 镜像 gh-pages：被封锁 (CN) / mirror gh-pages: blocked (CN)');
      // The raw header is an encoded word (ASCII on the wire), not raw UTF-8.
      const rawSubject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(mail.raw)?.[1] ?? '';
      expect(rawSubject).toMatch(/=\?UTF-8\?[BQ]\?/i);
      expect(mail.from).toBe('Ferry <ferry@example.org>');
      expect(mail.to).toBe('a@example.org, b@example.org');
      expect(mail.contentType).toBe('text/plain');
      expect(mail.charset.toLowerCase()).toBe('utf-8');
      expect(mail.body.trim()).toBe(alert.text.trim());
      expect(mail.body).toContain('Ferry 警报');
      expect(mail.headers['X-Ferry-Alert']).toBe('problem:gh-pages, canonical:canonical');
      expect(mail.secure).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('requires STARTTLS by default, verifies the certificate, and logs in', async () => {
    const server = await startMailServer({ tls: true, auth: { user: 'ferry', pass: 'pw-123' } });
    try {
      const config = {
        id: 'mail',
        host: '127.0.0.1',
        port: server.port,
        secure: false,
        requireTls: true,
        from: 'ferry@example.org',
        to: ['a@example.org'],
        auth: { user: 'ferry', pass: 'pw-123' },
      };
      // A certificate nobody vouches for: refused, nothing sent.
      const untrusted = await failure(createSmtpAlerter(config, { timeoutMs: 15_000 }).send(sampleAlert()));
      expect(untrusted.detail).toMatch(/certificate/i);
      expect(server.received).toHaveLength(0);
      // Trusted: sent over TLS.
      await createSmtpAlerter(config, { timeoutMs: 15_000, ca: server.cert ?? '' }).send(sampleAlert());
      expect(server.received).toHaveLength(1);
      expect(server.received[0]?.secure).toBe(true);
      // A wrong password is an error that does not repeat the password.
      const wrong = await failure(
        createSmtpAlerter(
          { ...config, auth: { user: 'ferry', pass: 'not-the-password' } },
          { timeoutMs: 15_000, ca: server.cert ?? '' },
        ).send(sampleAlert()),
      );
      expect(wrong.detail).toMatch(/535|Invalid/);
      expect(wrong.message).not.toContain('not-the-password');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('refuses to send in clear when the server offers no STARTTLS and TLS is required', async () => {
    const server = await startMailServer();
    try {
      const e = await failure(
        createSmtpAlerter(
          {
            id: 'mail',
            host: '127.0.0.1',
            port: server.port,
            secure: false,
            requireTls: true,
            from: 'f@example.org',
            to: ['a@example.org'],
          },
          { timeoutMs: 15_000 },
        ).send(sampleAlert()),
      );
      expect(e.detail).toMatch(/STARTTLS/i);
      expect(server.received).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('gives up on a server that never greets within the deadline', async () => {
    const server = await startMailServer({ greetingDelayMs: 5000 });
    try {
      const started = Date.now();
      const e = await failure(
        createSmtpAlerter(
          {
            id: 'mail',
            host: '127.0.0.1',
            port: server.port,
            secure: false,
            requireTls: false,
            from: 'f@example.org',
            to: ['a@example.org'],
          },
          { timeoutMs: 400 },
        ).send(sampleAlert()),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(e.detail).toMatch(/within 400 ms|timeout|Greeting/i);
    } finally {
      await server.close();
    }
  }, 15_000);
});

describe('telegram alerter', () => {
  const token = '123456789:AAHk-fake_token_for_tests_012345678';
  let api: FakeTelegramApi;
  beforeAll(async () => {
    api = await startFakeTelegramApi({ token, chats: ['-1001234567890', '@ferry_alerts'] });
  });
  afterAll(() => api.close());

  it('sends the text to the chat with sendMessage, as the Bot API expects', async () => {
    const alert = sampleAlert();
    await createTelegramAlerter({ id: 'tg', token, chatId: '-1001234567890', apiBase: api.apiBase }).send(alert);
    expect(api.requests.at(-1)).toBe('POST /bot<token>/sendMessage');
    const sent = api.sent.at(-1);
    expect(sent?.contentType).toBe('application/json');
    expect(sent?.chatId).toBe('-1001234567890');
    expect(sent?.text).toBe(`${alert.subject}\n\n${alert.text}`);
    expect(sent?.body.parse_mode).toBeUndefined();
    expect(sent?.body.link_preview_options).toEqual({ is_disabled: true });
  });

  it('cuts a long message to the API limit instead of having it refused', async () => {
    const alert = sampleAlert();
    const long = { ...alert, text: `${'镜像'.repeat(3000)}😀${'x'.repeat(3000)}` };
    await createTelegramAlerter({ id: 'tg', token, chatId: '@ferry_alerts', apiBase: api.apiBase }).send(long);
    expect(api.sent.at(-1)?.text.length).toBeLessThanOrEqual(TELEGRAM_MAX_TEXT);
    expect(api.sent.at(-1)?.text.endsWith('…')).toBe(true);
  });

  it('a wrong token, an unknown chat and a rate limit are errors that never show the token', async () => {
    const wrongToken = '123456789:BBHk-other_token_for_tests_01234567';
    const bad = await failure(
      createTelegramAlerter({ id: 'tg', token: wrongToken, chatId: '-1001234567890', apiBase: api.apiBase }).send(sampleAlert()),
    );
    expect(bad.detail).toBe(
      'telegram chat -1001234567890: Bot API error 401: Unauthorized (the token is wrong or revoked: check the variable tokenEnv names)',
    );
    const chat = await failure(createTelegramAlerter({ id: 'tg', token, chatId: '42', apiBase: api.apiBase }).send(sampleAlert()));
    expect(chat.detail).toContain('Bad Request: chat not found (check chatId');
    api.rateLimitNext(1, 7);
    const limited = await failure(
      createTelegramAlerter({ id: 'tg', token, chatId: '-1001234567890', apiBase: api.apiBase }).send(sampleAlert()),
    );
    expect(limited.retryAfterSeconds).toBe(7);
    // Unreachable API: the URL (which holds the token) is not in the message.
    const down = await failure(
      createTelegramAlerter({ id: 'tg', token, chatId: '-1001234567890', apiBase: 'http://127.0.0.1:1' }).send(sampleAlert()),
    );
    expect(down.detail).toContain('cannot connect');
    for (const e of [bad, chat, limited, down]) {
      expect(e.message).not.toContain(token);
      expect(e.message).not.toContain(wrongToken);
      expect(e.message).not.toContain('AAHk');
    }
  });
});
