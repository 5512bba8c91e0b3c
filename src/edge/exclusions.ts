// Mirrors the edge must not ask, as the health checker (a compromised verdict) or a maintainer (a
// pause) decided: honoured by the pool at once, kept in the edge-state store (KV on Workers, a file
// on Node) so that every process and isolate on it follows, and read again from there at most every
// `ttlMs` (so an exclusion another process made reaches this one within that time).
import type { EdgeStateStore, StoredExclusion } from '../ports/edge-state.ts';

export interface Exclusion extends StoredExclusion {
  id: string;
}

export interface Exclusions {
  /** Stop asking this mirror, now, everywhere (resolves once the store has it). */
  exclude(id: string, reason: string): Promise<void>;
  /** Ask it again (resolves once the store has it). */
  include(id: string): Promise<void>;
  /** Every exclusion, as the store has it now (read again first), by id. */
  list(): Promise<Exclusion[]>;
  /** Why this mirror is excluded, in this edge's current view (undefined: it is not). */
  reason(id: string): string | undefined;
  /** The first load from the store (later calls wait for the same one). */
  ready(): Promise<void>;
  /** Read the store again if the last read is older than ttlMs; the work is for the runtime to keep alive. */
  refreshIfStale(): Promise<void> | undefined;
}

export interface ExclusionsOptions {
  store: EdgeStateStore;
  now: () => Date;
  /** Monotonic milliseconds, for the reload interval. */
  clock?: () => number;
  /** Least time between reads of the store, ms (default 10 s). */
  ttlMs?: number;
  /** A mirror that was excluded is not any more (here or by another process). */
  onIncluded?: (id: string) => void;
}

export function createExclusions({
  store,
  now,
  clock = () => performance.now(),
  ttlMs = 10_000,
  onIncluded = () => undefined,
}: ExclusionsOptions): Exclusions {
  let view = new Map<string, StoredExclusion>();
  /** Changes made here and not saved yet: they win over what a read finds. */
  const pending = new Map<string, StoredExclusion | null>();
  let readAt = -Infinity;
  let first: Promise<void> | undefined;
  let reading: Promise<void> | undefined;
  /** Every store operation runs after the one before, so a read never overtakes a write. */
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };

  const apply = (stored: Record<string, StoredExclusion>): void => {
    const next = new Map(Object.entries(stored));
    for (const [id, change] of pending) {
      if (change === null) next.delete(id);
      else next.set(id, change);
    }
    const before = view;
    view = next;
    for (const id of before.keys()) if (!next.has(id)) onIncluded(id);
  };

  const read = (): Promise<void> =>
    (reading ??= enqueue(async () => {
      readAt = clock();
      apply(await store.loadExclusions());
    }).finally(() => {
      reading = undefined;
    }));

  const change = (id: string, value: StoredExclusion | null): Promise<void> => {
    pending.set(id, value);
    const before = view;
    view = new Map(view);
    if (value === null) view.delete(id);
    else view.set(id, value);
    if (value === null && before.has(id)) onIncluded(id);
    return enqueue(async () => {
      const stored = await store.loadExclusions();
      if (value === null) delete stored[id];
      else Object.defineProperty(stored, id, { value, enumerable: true, writable: true, configurable: true });
      await store.saveExclusions(stored);
      if (pending.get(id) === value) pending.delete(id);
      readAt = clock();
      apply(stored);
    });
  };

  return {
    exclude: (id, reason) => change(id, { reason, since: now().toISOString() }),
    include: (id) => change(id, null),
    async list() {
      await read();
      return [...view].map(([id, e]) => ({ id, ...e })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    reason: (id) => view.get(id)?.reason,
    ready: () => (first ??= read().catch(() => undefined)),
    refreshIfStale: () => (first !== undefined && clock() - readAt >= ttlMs ? read() : undefined),
  };
}
