// Work a response does not wait for (saving state, refreshing the manifest).
import type { Context } from 'hono';

/** Keep background work alive where the runtime needs it (Workers' waitUntil); never unhandled. */
export function background(c: Context, work: Promise<unknown>): void {
  const guarded = work.catch(() => undefined);
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // Node has no execution context: the promise simply runs on.
  }
}
