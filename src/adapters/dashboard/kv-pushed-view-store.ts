// ferry serve's pushed dashboard view in Workers KV, one key, with the time it arrived. Parsed
// again when read (a value that no longer fits is treated as none, and the next push replaces it).
import { isRecord } from '../../core/is-record.ts';
import type { PushedViewStore } from '../../ports/dashboard.ts';
import { parsePushedView } from '../../core/dashboard/pushed-view.ts';
import type { MaintainerKv } from './kv-maintainer-store.ts';

export const PUSHED_VIEW_KEY = 'ferry-maintainer/pushed-view';

export function createKvPushedViewStore(kv: MaintainerKv): PushedViewStore {
  return {
    load: async () => {
      const text = await kv.get(PUSHED_VIEW_KEY, 'text');
      if (text === null) return undefined;
      try {
        const raw: unknown = JSON.parse(text);
        if (!isRecord(raw) || typeof raw.receivedAt !== 'string' || Number.isNaN(Date.parse(raw.receivedAt))) return undefined;
        return { receivedAt: raw.receivedAt, pushed: parsePushedView(raw.pushed) };
      } catch {
        return undefined;
      }
    },
    save: async (stored) => {
      await kv.put(PUSHED_VIEW_KEY, JSON.stringify(stored));
    },
  };
}
