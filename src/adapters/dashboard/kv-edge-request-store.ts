// The maintainers' requests that wait for ferry serve, in Workers KV, one key. A new rotation
// replaces the pending one (the last choice wins). KV has no transactions: a request made in the
// same moment ferry serve acknowledges another can be lost, and the page then no longer lists it.
import { MAX_EDGE_REQUESTS, parseEdgeRequests } from '../../core/dashboard/edge-requests.ts';
import type { EdgeRequest, EdgeRequestStore } from '../../ports/dashboard.ts';
import type { MaintainerKv } from './kv-maintainer-store.ts';

export const EDGE_REQUESTS_KEY = 'ferry-maintainer/requests';

export function createKvEdgeRequestStore(kv: MaintainerKv): EdgeRequestStore {
  const load = async (): Promise<EdgeRequest[]> => {
    const text = await kv.get(EDGE_REQUESTS_KEY, 'text');
    if (text === null) return [];
    try {
      return parseEdgeRequests(JSON.parse(text), EDGE_REQUESTS_KEY);
    } catch {
      return [];
    }
  };
  const save = (list: readonly EdgeRequest[]): Promise<void> => kv.put(EDGE_REQUESTS_KEY, JSON.stringify(list));
  return {
    pending: load,
    add: async (request) => {
      const kept = (await load()).filter((r) => r.kind !== request.kind);
      await save([...kept, request].slice(-MAX_EDGE_REQUESTS));
    },
    acknowledge: async (ids) => {
      const list = await load();
      const removed = list.filter((r) => ids.includes(r.id));
      if (removed.length > 0) await save(list.filter((r) => !ids.includes(r.id)));
      return removed;
    },
  };
}
