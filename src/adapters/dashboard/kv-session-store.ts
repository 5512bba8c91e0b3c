// Dashboard sessions in Workers KV (the Worker's isolates share nothing else): one key per session,
// expiring with it, deleted on sign-out. KV is eventually consistent across locations: a sign-out
// reaches other locations within KV's propagation time (about a minute), which the session's own
// expiry bounds anyway.
import { isRecord } from '../../core/is-record.ts';
import type { Session, SessionStore } from '../../ports/dashboard.ts';

/** The part of a KV namespace binding this store uses. */
export interface SessionKv {
  get(key: string, type: 'text'): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

const PREFIX = 'ferry-session/';
/** KV refuses a TTL under 60 s. */
const MIN_TTL = 60;

export function createKvSessionStore(kv: SessionKv, now: () => Date = () => new Date()): SessionStore {
  return {
    put: async (id, session) => {
      const ttl = Math.max(MIN_TTL, Math.ceil((Date.parse(session.expires) - now().getTime()) / 1000));
      await kv.put(PREFIX + id, JSON.stringify(session), { expirationTtl: ttl });
    },
    get: async (id) => {
      const text = await kv.get(PREFIX + id, 'text');
      if (text === null) return undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return undefined;
      }
      const session = toSession(raw);
      if (session === undefined || Date.parse(session.expires) <= now().getTime()) return undefined;
      return session;
    },
    delete: (id) => kv.delete(PREFIX + id),
  };
}

function toSession(raw: unknown): Session | undefined {
  if (!isRecord(raw) || typeof raw.csrf !== 'string' || typeof raw.who !== 'string' || typeof raw.expires !== 'string') return undefined;
  const { flash } = raw;
  const kept =
    isRecord(flash) && typeof flash.ok === 'boolean' && typeof flash.message === 'string'
      ? { ok: flash.ok, message: flash.message }
      : undefined;
  return { csrf: raw.csrf, who: raw.who, expires: raw.expires, ...(kept === undefined ? {} : { flash: kept }) };
}
