// Sign-in for the dashboard, the same on Node and Workers (WebCrypto only): the token compared in
// constant time, sessions kept on the server with a CSRF token bound to each, the session cookie's
// flags, and failed attempts limited per client.
import type { Session, SessionStore } from '../../ports/dashboard.ts';

/** Shorter admin tokens are refused at start: guessing one must be hopeless. */
export const MIN_TOKEN_LENGTH = 32;
export const SESSION_COOKIE = 'ferry_session';

export class AdminTokenError extends Error {
  override name = 'AdminTokenError';
}

/** The admin token from the environment, or an error that says what to do. */
export function checkAdminToken(token: string | undefined, name = 'FERRY_ADMIN_TOKEN'): string {
  if (token === undefined || token === '') {
    throw new AdminTokenError(
      `${name} is not set: the dashboard needs a token of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -base64 33)`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new AdminTokenError(
      `${name} is ${token.length} characters: the dashboard refuses a token shorter than ${MIN_TOKEN_LENGTH} (e.g. openssl rand -base64 33)`,
    );
  }
  return token;
}

/** Equal in time that does not depend on where they differ: both are hashed first, so lengths leak nothing either. */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(given)),
    crypto.subtle.digest('SHA-256', enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function randomToken(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const v of b) s += v.toString(16).padStart(2, '0');
  return s;
}

export interface SessionCookieOptions {
  maxAgeSeconds: number;
  /** Off only on loopback (http://127.0.0.1), where browsers would drop a Secure cookie. */
  secure: boolean;
}

export function sessionCookie(id: string, { maxAgeSeconds, secure }: SessionCookieOptions): string {
  return `${SESSION_COOKIE}=${id}; Path=/_ferry; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/_ferry; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** A memory session store (Node; sessions end with the process, which signs everyone out). */
export function createMemorySessionStore(now: () => Date = () => new Date()): SessionStore {
  const sessions = new Map<string, Session>();
  return {
    put: async (id, session) => {
      for (const [k, s] of sessions) if (Date.parse(s.expires) <= now().getTime()) sessions.delete(k);
      sessions.set(id, session);
    },
    get: async (id) => {
      const s = sessions.get(id);
      if (s === undefined) return undefined;
      if (Date.parse(s.expires) <= now().getTime()) {
        sessions.delete(id);
        return undefined;
      }
      return s;
    },
    delete: async (id) => void sessions.delete(id),
  };
}

export interface AttemptLimiter {
  /** Seconds to wait before trying again, or 0 when this client may try now. */
  retryAfter(client: string): number;
  failed(client: string): void;
  succeeded(client: string): void;
}

/** At most `max` failed sign-ins per client within `windowMs`; the next attempt gets 429. */
export function createAttemptLimiter({ max = 5, windowMs = 60_000, now = () => Date.now() } = {}): AttemptLimiter {
  const failures = new Map<string, number[]>();
  const recent = (client: string): number[] => {
    const t = now();
    const list = (failures.get(client) ?? []).filter((at) => t - at < windowMs);
    if (list.length === 0) failures.delete(client);
    else failures.set(client, list);
    return list;
  };
  return {
    retryAfter: (client) => {
      const list = recent(client);
      const first = list[0];
      if (list.length < max || first === undefined) return 0;
      return Math.max(1, Math.ceil((first + windowMs - now()) / 1000));
    },
    failed: (client) => {
      const list = recent(client);
      list.push(now());
      failures.set(client, list);
      if (failures.size > 10_000) failures.delete(failures.keys().next().value ?? client);
    },
    succeeded: (client) => void failures.delete(client),
  };
}
