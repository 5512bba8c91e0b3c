// Alerts as a Telegram message from a bot: POST <apiBase>/bot<token>/sendMessage with
// {"chat_id", "text"} as JSON (Bot API), plain text (no parse_mode, so nothing in an evidence
// message can be read as markup), cut to the API's 4096 characters. The answer is parsed from
// unknown: {"ok": true, "result": {...}} or {"ok": false, "error_code", "description",
// "parameters": {"retry_after"}}. The token is in the URL, so no URL is ever put in an error.
import { FetchError } from '../../ports/fetch.ts';
import { AlertError, type Alerter } from '../../ports/alerter.ts';
import { clip } from '../../core/health/alert-text.ts';
import { isRecord } from '../../core/is-record.ts';
import { createHttpCall, type HttpCall } from '../web/http-call.ts';

export interface TelegramAlerterConfig {
  id: string;
  /** The bot token (the value, resolved from its variable by the wiring; never logged). */
  token: string;
  /** A numeric chat id or "@channelname". */
  chatId: string;
  /** Default https://api.telegram.org. */
  apiBase?: string;
}

export interface TelegramAlerterDeps {
  http?: HttpCall;
  /** Whole-request deadline, ms (default 10 s). */
  timeoutMs?: number;
}

/** The Bot API's limit on a message's text. */
export const TELEGRAM_MAX_TEXT = 4096;
const MAX_ANSWER = 64 * 1024;

export function createTelegramAlerter(config: TelegramAlerterConfig, deps: TelegramAlerterDeps = {}): Alerter {
  const http = deps.http ?? createHttpCall();
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const base = (config.apiBase ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const url = `${base}/bot${config.token}/sendMessage`;
  const fail = (detail: string, retryAfter?: number): AlertError =>
    new AlertError(config.id, `telegram chat ${config.chatId}: ${detail.split(config.token).join('<token>')}`, retryAfter);
  return {
    id: config.id,
    kind: 'telegram',
    async send(alert, signal) {
      const text = clip(`${alert.subject}\n\n${alert.text}`, TELEGRAM_MAX_TEXT);
      const body = JSON.stringify({ chat_id: config.chatId, text, link_preview_options: { is_disabled: true } });
      let status: number;
      let answer: Uint8Array;
      try {
        ({ status, body: answer } = await http(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          timeoutMs,
          maxBytes: MAX_ANSWER,
          signal,
        }));
      } catch (e) {
        throw fail(e instanceof FetchError ? e.detail : 'the request failed');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(answer));
      } catch {
        throw fail(`answered HTTP ${status} with something that is not JSON`);
      }
      if (!isRecord(parsed) || typeof parsed.ok !== 'boolean') throw fail(`answered HTTP ${status} without "ok"`);
      if (parsed.ok && status >= 200 && status <= 299 && isRecord(parsed.result)) return;
      const description = typeof parsed.description === 'string' ? parsed.description.slice(0, 300) : 'no description';
      const code = typeof parsed.error_code === 'number' ? parsed.error_code : status;
      const retry =
        isRecord(parsed.parameters) && typeof parsed.parameters.retry_after === 'number' ? parsed.parameters.retry_after : undefined;
      const hint =
        code === 401
          ? ' (the token is wrong or revoked: check the variable tokenEnv names)'
          : code === 400 || code === 403
            ? ' (check chatId, and that the bot was added to the chat)'
            : '';
      throw fail(`Bot API error ${code}: ${description}${hint}${retry === undefined ? '' : `; retry after ${retry} s`}`, retry);
    },
  };
}
