// ferry serve's side of the push to the Worker: POST <worker>/_ferry/health/view with its
// dashboard view (bearer token, deadline, capped answer, through the one HTTP helper), reading the
// maintainers' requests from the answer; POST /_ferry/health/requests/ack once they are applied.
// Every failure is a problem in words, naming the URL; nothing here throws on a network error.
import { ConfigError } from '../../core/config-error.ts';
import { isRecord } from '../../core/is-record.ts';
import type { EdgeRequest, EdgeRequestResult, PushedView } from '../../ports/dashboard.ts';
import { FetchError } from '../../ports/fetch.ts';
import { parseEdgeRequests } from '../../core/dashboard/edge-requests.ts';
import { MAX_PUSHED_VIEW_BYTES, REQUESTS_ACK_ROUTE, VIEW_PUSH_ROUTE, ViewShapeError } from '../../core/dashboard/pushed-view.ts';
import { createHttpCall, excerpt, type HttpCall } from '../web/http-call.ts';

export interface WorkerViewClientOptions {
  /** The Worker's address, e.g. https://blog.example.org/ (the routes are added to it). */
  url: string;
  /** FERRY_HEALTH_TOKEN, as set on the Worker. */
  token: string;
  http?: HttpCall;
  timeoutMs?: number;
  /** Largest answer read. */
  maxBytes?: number;
}

export interface WorkerViewClient {
  /** Push the view; the answer's requests, or what went wrong. */
  push(view: PushedView, signal?: AbortSignal): Promise<{ requests: EdgeRequest[]; problem?: string }>;
  /** Say these requests were applied (or refused); undefined when the Worker took it. */
  ack(results: readonly EdgeRequestResult[], signal?: AbortSignal): Promise<string | undefined>;
}

export function createWorkerViewClient({
  url,
  token,
  http = createHttpCall(),
  timeoutMs = 15_000,
  maxBytes = 64 * 1024,
}: WorkerViewClientOptions): WorkerViewClient {
  let base: URL;
  try {
    base = new URL(url);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`Worker push: '${url}' is not an http(s) address; use the Worker's, e.g. https://blog.example.org/`);
  }
  if (token === '') throw new ConfigError('Worker push: the token is empty; use the value of the Worker secret FERRY_HEALTH_TOKEN');
  const call = async (route: string, body: string, signal?: AbortSignal): Promise<{ raw?: unknown; problem?: string }> => {
    const endpoint = new URL(route, base).href;
    try {
      const res = await http(endpoint, {
        method: 'POST',
        body,
        timeoutMs,
        maxBytes,
        signal,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      });
      if (res.status !== 200) return { problem: `${endpoint}: answered HTTP ${res.status}: ${excerpt(res.body, 200)}` };
      try {
        return { raw: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body)) as unknown };
      } catch {
        return { problem: `${endpoint}: the answer is not JSON (${excerpt(res.body, 80)})` };
      }
    } catch (e) {
      if (e instanceof FetchError) return { problem: e.message };
      throw e;
    }
  };
  return {
    async push(view, signal) {
      const body = JSON.stringify(view);
      const size = new TextEncoder().encode(body).byteLength;
      if (size > MAX_PUSHED_VIEW_BYTES) {
        return { requests: [], problem: `the view is ${size} bytes, over the Worker's limit of ${MAX_PUSHED_VIEW_BYTES}; not pushed` };
      }
      const { raw, problem } = await call(VIEW_PUSH_ROUTE, body, signal);
      if (problem !== undefined) return { requests: [], problem };
      if (!isRecord(raw) || raw.requests === undefined)
        return { requests: [], problem: `${VIEW_PUSH_ROUTE}: expected {"requests": [...]}` };
      try {
        return { requests: parseEdgeRequests(raw.requests, `${VIEW_PUSH_ROUTE} requests`) };
      } catch (e) {
        if (e instanceof ViewShapeError) return { requests: [], problem: e.message };
        throw e;
      }
    },
    async ack(results, signal) {
      return (await call(REQUESTS_ACK_ROUTE, JSON.stringify({ results }), signal)).problem;
    },
  };
}
