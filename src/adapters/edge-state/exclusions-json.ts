// The stored form of the edge's exclusions (one JSON object, id -> { reason, since }), shared by
// the KV and file adapters. Stored JSON is parsed and checked, never cast.
import { isRecord } from '../../core/is-record.ts';
import type { StoredExclusion } from '../../ports/edge-state.ts';

export function toExclusionsJson(exclusions: Record<string, StoredExclusion>): string {
  return JSON.stringify(exclusions);
}

/** Entries that are not { reason: string, since: string } are left out; text that is not JSON is none. */
export function fromExclusionsJson(text: string | null): Record<string, StoredExclusion> {
  if (text === null) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(raw)) return {};
  const out: Record<string, StoredExclusion> = {};
  for (const [id, value] of Object.entries(raw)) {
    if (isRecord(value) && typeof value.reason === 'string' && typeof value.since === 'string') {
      // defineProperty: an id such as "__proto__" stays a plain entry.
      Object.defineProperty(out, id, {
        value: { reason: value.reason, since: value.since },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}
