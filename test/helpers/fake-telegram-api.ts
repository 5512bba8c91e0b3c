// FAKE: a loopback stand-in for the Telegram Bot API's sendMessage method (not Telegram).
// It checks what the real API documents: POST /bot<token>/sendMessage with a JSON body (or a
// urlencoded form) holding chat_id and text (1-4096 characters), a token shaped like BotFather's
// ("<bot id>:<35 characters>"), and answers in the real envelope: {"ok": true, "result": Message}
// or {"ok": false, "error_code", "description"} (401 Unauthorized for an unknown token, 400 "Bad
// Request: chat not found" / "message text is empty" / "message is too long", 404 for other
// paths, 429 with "parameters": {"retry_after"} when told to rate-limit).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../../src/core/is-record.ts';

export interface FakeTelegramOptions {
  token: string;
  /** Chats the bot may write to. */
  chats: readonly string[];
}

export interface SentTelegram {
  chatId: string;
  text: string;
  body: Record<string, unknown>;
  contentType: string;
}

export interface FakeTelegramApi {
  /** e.g. http://127.0.0.1:40123 */
  apiBase: string;
  sent: SentTelegram[];
  /** Every request's method and path, the token masked. */
  requests: string[];
  /** Answer the next n sendMessage calls with 429 Too Many Requests. */
  rateLimitNext(n: number, retryAfter: number): void;
  close(): Promise<void>;
}

const TOKEN = /^\d{5,16}:[A-Za-z0-9_-]{35}$/;
const MAX_TEXT = 4096;

export async function startFakeTelegramApi(opts: FakeTelegramOptions): Promise<FakeTelegramApi> {
  if (!TOKEN.test(opts.token)) throw new Error('fake-telegram-api: the token must look like a real one');
  const sent: SentTelegram[] = [];
  const requests: string[] = [];
  let limited = 0;
  let retryAfter = 0;
  let messageId = 100;
  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, code: number, description: string, extra: Record<string, unknown> = {}): void =>
    answer(res, code, { ok: false, error_code: code, description, ...extra });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path);
    requests.push(`${req.method ?? ''} ${path.replace(/^\/bot[^/]+/, '/bot<token>')}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (m === null) return error(res, 404, 'Not Found');
    if (m[1] !== opts.token) return error(res, 401, 'Unauthorized');
    if (m[2] !== 'sendMessage') return error(res, 404, 'Not Found');
    if (req.method !== 'POST' && req.method !== 'GET') return error(res, 405, 'Method Not Allowed');
    const contentType = req.headers['content-type'] ?? '';
    let body: Record<string, unknown>;
    if (contentType.startsWith('application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return error(res, 400, "Bad Request: can't parse JSON object");
      }
      if (!isRecord(parsed)) return error(res, 400, "Bad Request: can't parse JSON object");
      body = parsed;
    } else {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    if (limited > 0) {
      limited--;
      return error(res, 429, `Too Many Requests: retry after ${retryAfter}`, { parameters: { retry_after: retryAfter } });
    }
    const chatId = typeof body.chat_id === 'number' ? String(body.chat_id) : body.chat_id;
    if (typeof chatId !== 'string' || chatId === '') return error(res, 400, 'Bad Request: chat_id is empty');
    if (!opts.chats.includes(chatId)) return error(res, 400, 'Bad Request: chat not found');
    const text = body.text;
    if (typeof text !== 'string' || text.trim() === '') return error(res, 400, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT) return error(res, 400, 'Bad Request: message is too long');
    sent.push({ chatId, text, body, contentType });
    const botId = Number(opts.token.split(':')[0]);
    answer(res, 200, {
      ok: true,
      result: {
        message_id: messageId++,
        from: { id: botId, is_bot: true, first_name: 'Ferry', username: 'ferry_alerts_bot' },
        chat: chatId.startsWith('@')
          ? { id: -1001234567890, title: 'alerts', username: chatId.slice(1), type: 'channel' }
          : { id: Number(chatId), type: Number(chatId) < 0 ? 'supergroup' : 'private', title: 'maintainers' },
        date: 1_796_630_400,
        text,
      },
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiBase: `http://127.0.0.1:${port}`,
    sent,
    requests,
    rateLimitNext(n, after) {
      limited = n;
      retryAfter = after;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
