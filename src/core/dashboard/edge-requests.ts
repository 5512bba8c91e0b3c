// Maintainers' requests made on the Worker for ferry serve to apply (a rotation: only ferry serve
// holds the signing key), and what ferry serve says back, parsed from unknown on both sides: the
// Worker's KV, the push route's answer, the acknowledgement's body.
import { isRecord } from '../is-record.ts';
import type { EdgeRequest, EdgeRequestResult } from './view.ts';
import { ViewShapeError } from './pushed-view.ts';

/** Requests kept at once (a new rotation replaces the pending one, so this is a safety bound). */
export const MAX_EDGE_REQUESTS = 20;
const ID = /^[A-Za-z0-9._@:-]{1,200}$/;

export function parseEdgeRequest(raw: unknown, where: string): EdgeRequest {
  if (!isRecord(raw)) throw new ViewShapeError(`${where}: expected an object`);
  const { id, kind, mirror, who, at } = raw;
  if (typeof id !== 'string' || !ID.test(id)) throw new ViewShapeError(`${where}.id: expected an id`);
  if (kind !== 'rotate') throw new ViewShapeError(`${where}.kind: expected "rotate"`);
  if (typeof mirror !== 'string' || !ID.test(mirror)) throw new ViewShapeError(`${where}.mirror: expected a mirror id`);
  if (typeof who !== 'string' || who.length > 200) throw new ViewShapeError(`${where}.who: expected who asked`);
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new ViewShapeError(`${where}.at: expected an ISO 8601 time`);
  return { id, kind, mirror, who, at };
}

export function parseEdgeRequests(raw: unknown, where: string): EdgeRequest[] {
  if (!Array.isArray(raw) || raw.length > MAX_EDGE_REQUESTS) {
    throw new ViewShapeError(`${where}: expected a list of at most ${MAX_EDGE_REQUESTS} requests`);
  }
  return raw.map((r, i) => parseEdgeRequest(r, `${where}[${i}]`));
}

/** The acknowledgement's body: {"results": [{"id", "ok", "message"}]}. */
export function parseRequestResults(raw: unknown): EdgeRequestResult[] {
  if (!isRecord(raw) || !Array.isArray(raw.results) || Object.keys(raw).length !== 1) {
    throw new ViewShapeError('expected {"results": [{"id": "...", "ok": true, "message": "..."}]}');
  }
  if (raw.results.length > MAX_EDGE_REQUESTS) throw new ViewShapeError(`results: at most ${MAX_EDGE_REQUESTS}`);
  return raw.results.map((r: unknown, i) => {
    const where = `results[${i}]`;
    if (!isRecord(r) || Object.keys(r).some((k) => k !== 'id' && k !== 'ok' && k !== 'message')) {
      throw new ViewShapeError(`${where}: expected {"id", "ok", "message"} only`);
    }
    if (typeof r.id !== 'string' || !ID.test(r.id)) throw new ViewShapeError(`${where}.id: expected a request id`);
    if (typeof r.ok !== 'boolean') throw new ViewShapeError(`${where}.ok: expected true or false`);
    if (typeof r.message !== 'string' || r.message.length > 2000) throw new ViewShapeError(`${where}.message: expected words`);
    return { id: r.id, ok: r.ok, message: r.message };
  });
}
