// Maintainers' decisions at the edge (paused mirrors, the action history) in Workers KV, one key.
// Updates read, apply and write; KV has no transactions, so two maintainers acting in the same
// second at two locations can lose one history line (never a pause: the next action rewrites it).
import { emptyMaintainerState, parseMaintainerState, type MaintainerState } from '../../core/maintainer-state.ts';
import type { MaintainerStore } from '../../ports/maintainer-store.ts';

export interface MaintainerKv {
  get(key: string, type: 'text'): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
}

export const MAINTAINER_KEY = 'ferry-maintainer/state';

export function createKvMaintainerStore(kv: MaintainerKv): MaintainerStore {
  const load = async (): Promise<MaintainerState> => {
    const text = await kv.get(MAINTAINER_KEY, 'text');
    if (text === null) return emptyMaintainerState();
    try {
      return parseMaintainerState(JSON.parse(text));
    } catch {
      return emptyMaintainerState();
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    load,
    update: (change) => {
      const next = queue.then(async () => {
        const state = change(await load());
        await kv.put(MAINTAINER_KEY, JSON.stringify(state));
        return state;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
