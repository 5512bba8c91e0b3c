// Where agents' signed reports come in: a Hono sub-app the server mounts under /_ferry/agent
// (POST /_ferry/agent/report). It sits outside the dashboard's sign-in, because the signature of an
// enrolled agent's key is the credential, and it sends no CORS headers (browsers have no business
// here). A report is accepted only when its signature verifies with an enrolled key, it is fresh,
// and its nonce has not been seen; its results are then stored as that agent's newest results,
// which the next check round reads (runCheckRound takes other vantage points' recent reports).
//
//   413 body over MAX_REPORT_BYTES         401 unknown key, or a signature that does not verify
//   400 not JSON / not a report            403 a country other than the enrolled one
//   422 stale, or dated in the future      409 a nonce seen before (a replay)
//
// Every answer is logged through `log` with the agent and the reason, never the body or the
// sender's address.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AgentReportError,
  DEFAULT_FRESHNESS_MS,
  DEFAULT_MAX_SKEW_MS,
  MAX_REPORT_BYTES,
  openAgentReport,
  parseSignedAgentReport,
  type RejectReason,
} from '../core/health/agent-report.ts';
import type { AgentRegistry } from '../ports/agent-registry.ts';
import type { HealthStore } from '../ports/health-store.ts';

export type AgentReportEvent =
  | { type: 'agent-report-accepted'; agent: string; country: string; results: number; ignored: string[] }
  | { type: 'agent-report-rejected'; status: number; reason: RejectReason; message: string; key?: string; agent?: string };

export interface AgentReportsOptions {
  registry: AgentRegistry;
  store: Pick<HealthStore, 'recordResults'>;
  log?: (event: AgentReportEvent) => void;
  now?: () => Date;
  /** A report counts this long after it was sent (default 10 min). */
  freshnessMs?: number;
  maxSkewMs?: number;
  /** The targets watched now (mirror ids and the origin); results for others are dropped. Default: all kept. */
  targets?: () => ReadonlySet<string>;
}

export const STATUS: Readonly<Record<RejectReason, ContentfulStatusCode>> = {
  'too-large': 413,
  malformed: 400,
  'unknown-key': 401,
  'bad-signature': 401,
  'country-mismatch': 403,
  replayed: 409,
  stale: 422,
  'from-the-future': 422,
};

/** The sub-app; mount it with `app.route('/_ferry/agent', createAgentReports({...}))`. */
export function createAgentReports({
  registry,
  store,
  log = () => undefined,
  now = () => new Date(),
  freshnessMs = DEFAULT_FRESHNESS_MS,
  maxSkewMs = DEFAULT_MAX_SKEW_MS,
  targets,
}: AgentReportsOptions): Hono {
  const app = new Hono();
  const reject = (reason: RejectReason, message: string, who: { key?: string; agent?: string } = {}): Response => {
    const status = STATUS[reason];
    log({ type: 'agent-report-rejected', status, reason, message, ...who });
    // A body refused unread leaves the connection unusable: say so, so the client opens a new one.
    const headers: Record<string, string> = { 'cache-control': 'no-store', ...(reason === 'too-large' ? { connection: 'close' } : {}) };
    return Response.json({ error: reason, message }, { status, headers });
  };

  app.post(
    '/report',
    bodyLimit({ maxSize: MAX_REPORT_BYTES, onError: () => reject('too-large', `the report is over ${MAX_REPORT_BYTES} bytes`) }),
    async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return reject('malformed', 'the body is not JSON');
      }
      let key: string | undefined;
      let agentId: string | undefined;
      try {
        const envelope = parseSignedAgentReport(body);
        key = envelope.key;
        const enrolled = await registry.byKey(envelope.key);
        agentId = enrolled?.id;
        const at = now();
        const opened = openAgentReport(envelope, enrolled, { now: at, freshnessMs, maxSkewMs });
        const watched = targets?.();
        const kept = watched === undefined ? opened.results : opened.results.filter((r) => watched.has(r.target));
        const ignored = opened.results.filter((r) => !kept.includes(r)).map((r) => r.target);
        if (!(await registry.claimNonce(envelope.key, opened.nonce, opened.nonceExpiresAt, at.toISOString()))) {
          throw new AgentReportError('replayed', `report ${opened.nonce} from '${opened.agent.id}' was received before`);
        }
        await store.recordResults(kept);
        log({ type: 'agent-report-accepted', agent: opened.agent.id, country: opened.agent.country, results: kept.length, ignored });
        return c.json({ accepted: kept.length, ignored, agent: opened.agent.id, country: opened.agent.country }, 200, {
          'cache-control': 'no-store',
        });
      } catch (e) {
        if (e instanceof AgentReportError) {
          return reject(e.reason, e.message, {
            ...(key === undefined ? {} : { key }),
            ...(agentId === undefined ? {} : { agent: agentId }),
          });
        }
        throw e;
      }
    },
  );
  return app;
}
