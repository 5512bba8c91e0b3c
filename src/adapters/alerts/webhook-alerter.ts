// Alerts as a JSON POST to a webhook: the subject and text (for chat tools that show `text`) and
// the items as data (for anything that reads them). With a secret, the body is signed:
// X-Ferry-Signature: sha256=<hex HMAC-SHA256 of the body>, so the receiver can tell it came from
// Ferry. Through the one HTTP helper: a deadline, the caller's abort, no redirects, a capped answer.
// Errors name only the webhook's origin: the path of a webhook URL is often its secret.
import { clip } from '../../core/health/alert-text.ts';
import { FetchError } from '../../ports/fetch.ts';
import { AlertError, type Alerter, type OutgoingAlert } from '../../ports/alerter.ts';
import { createHttpCall, excerpt, type HttpCall } from '../web/http-call.ts';

export interface WebhookAlerterConfig {
  id: string;
  url: string;
  /** Shared secret the body is signed with (the value, resolved from its variable by the wiring). */
  secret?: string;
}

export interface WebhookAlerterDeps {
  http?: HttpCall;
  /** Whole-request deadline, ms (default 10 s). */
  timeoutMs?: number;
  /** Largest answer read, bytes (default 1 MiB; a bigger one, even a 2xx, is a failure). */
  maxAnswerBytes?: number;
}

/** Items sent as data; the text still counts the rest. */
export const MAX_WEBHOOK_ITEMS = 100;
/** Largest body sent, bytes. */
export const MAX_WEBHOOK_BODY = 256 * 1024;

/** The JSON a webhook receives (version 1). */
export function webhookBody(alert: OutgoingAlert): string {
  const { message } = alert;
  const items = message.items.slice(0, MAX_WEBHOOK_ITEMS);
  const doc = {
    ferry: 'alert',
    version: 1,
    alerter: message.alerter,
    at: message.at,
    subject: alert.subject,
    text: alert.text,
    items,
    omitted: message.items.length - items.length,
    ...(message.canonical === undefined ? {} : { canonical: message.canonical }),
  };
  let body = JSON.stringify(doc);
  if (new TextEncoder().encode(body).length > MAX_WEBHOOK_BODY) {
    // Keep the words and the count; drop the evidence of the items, then the items.
    body = JSON.stringify({ ...doc, items: items.map((i) => ({ ...i, evidence: [] })) });
    if (new TextEncoder().encode(body).length > MAX_WEBHOOK_BODY) {
      body = JSON.stringify({ ...doc, text: clip(alert.text, 32 * 1024), items: [], omitted: message.items.length });
    }
  }
  return body;
}

export function createWebhookAlerter(config: WebhookAlerterConfig, deps: WebhookAlerterDeps = {}): Alerter {
  const http = deps.http ?? createHttpCall();
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const maxBytes = deps.maxAnswerBytes ?? 1024 * 1024;
  const where = safeOrigin(config.url);
  const fail = (detail: string): AlertError => new AlertError(config.id, `webhook ${where}: ${detail}`);
  return {
    id: config.id,
    kind: 'webhook',
    async send(alert, signal) {
      const body = webhookBody(alert);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'ferry-alerts/1' };
      if (config.secret !== undefined) headers['x-ferry-signature'] = `sha256=${await hmacHex(config.secret, body)}`;
      let status: number;
      let answer: Uint8Array;
      try {
        ({ status, body: answer } = await http(config.url, { method: 'POST', headers, body, timeoutMs, maxBytes, signal }));
      } catch (e) {
        throw fail(e instanceof FetchError ? e.detail : String(e));
      }
      if (status < 200 || status > 299) throw fail(`answered HTTP ${status}${answer.length > 0 ? `: ${excerpt(answer, 200)}` : ''}`);
    },
  };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

async function hmacHex(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(body)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}
