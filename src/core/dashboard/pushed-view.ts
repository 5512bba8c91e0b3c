// The view `ferry serve` pushes to the Worker, both ways: toPushedView trims its dashboard's view
// to what the Worker's pages render (no post bodies, every list bounded), parsePushedView checks
// what arrived strictly (an unknown field, a missing one, a list too long or a wrong type is a
// ViewShapeError naming where). Both sides use this one file, so the shape cannot drift.
import { HealthDataError, parseEvidence, parseVantage } from '../health/health-codec.ts';
import { isVerdict, type Verdict } from '../health/observation.ts';
import { isRecord } from '../is-record.ts';
import type { ActionView, AlertView, DashboardView, HeldPostView, PublishView, PushedView, TargetView, VantageView } from './view.ts';

export const PUSHED_VIEW_FORMAT = 'ferry-dashboard-view/1';
/** Where ferry serve pushes its view to the Worker, and acknowledges the requests it applied. */
export const VIEW_PUSH_ROUTE = '/_ferry/health/view';
export const REQUESTS_ACK_ROUTE = '/_ferry/health/requests/ack';
/** The largest pushed view the Worker accepts (413 beyond). */
export const MAX_PUSHED_VIEW_BYTES = 256 * 1024;

const LIMITS = {
  mirrors: 200,
  vantages: 50,
  evidence: 10,
  latencies: 60,
  publishes: 20,
  targets: 50,
  held: 100,
  reasons: 20,
  alerts: 50,
  actions: 50,
};
const MAX_TEXT = 2000;

export class ViewShapeError extends Error {
  override name = 'ViewShapeError';
}

/** The dashboard's view as the Worker needs it: no post bodies, every list cut to its limit. */
export function toPushedView(view: DashboardView, at: string, everySeconds: number): PushedView {
  const target = (t: TargetView): TargetView => ({
    ...t,
    evidence: t.evidence.slice(0, LIMITS.evidence),
    vantages: t.vantages.slice(0, LIMITS.vantages).map((v) => ({ ...v, evidence: v.evidence.slice(0, LIMITS.evidence) })),
    latencies: t.latencies.slice(-LIMITS.latencies),
  });
  return {
    format: PUSHED_VIEW_FORMAT,
    at,
    everySeconds,
    view: {
      mirrors: view.mirrors.slice(0, LIMITS.mirrors).map(target),
      ...(view.origin === undefined ? {} : { origin: target(view.origin) }),
      ...(view.canonical === undefined ? {} : { canonical: view.canonical }),
      publishes: view.publishes.slice(0, LIMITS.publishes).map((p) => ({ ...p, targets: p.targets.slice(0, LIMITS.targets) })),
      held: view.held.slice(0, LIMITS.held).map((p) => ({ id: p.id, title: p.title, reasons: p.reasons.slice(0, LIMITS.reasons) })),
      alerts: view.alerts.slice(0, LIMITS.alerts),
      actions: view.actions.slice(0, LIMITS.actions),
    },
  };
}

/** What arrived, checked field by field; throws ViewShapeError saying where and what is wrong. */
export function parsePushedView(raw: unknown): PushedView {
  const v = fields(raw, 'view document', ['format', 'at', 'everySeconds', 'view'], []);
  if (v.format !== PUSHED_VIEW_FORMAT) throw new ViewShapeError(`format: expected "${PUSHED_VIEW_FORMAT}"`);
  const everySeconds = num(v.everySeconds, 'everySeconds');
  if (!Number.isInteger(everySeconds) || everySeconds < 1 || everySeconds > 86_400) {
    throw new ViewShapeError('everySeconds: expected whole seconds between 1 and 86400 (health.every)');
  }
  return { format: PUSHED_VIEW_FORMAT, at: time(v.at, 'at'), everySeconds, view: dashboardView(v.view, 'view') };
}

function dashboardView(raw: unknown, where: string): DashboardView {
  const v = fields(raw, where, ['mirrors', 'publishes', 'held', 'alerts', 'actions'], ['origin', 'canonical']);
  const out: DashboardView = {
    mirrors: list(v.mirrors, `${where}.mirrors`, LIMITS.mirrors, targetView),
    publishes: list(v.publishes, `${where}.publishes`, LIMITS.publishes, publishView),
    held: list(v.held, `${where}.held`, LIMITS.held, heldPost),
    alerts: list(v.alerts, `${where}.alerts`, LIMITS.alerts, alertView),
    actions: list(v.actions, `${where}.actions`, LIMITS.actions, actionView),
  };
  if (v.origin !== undefined) out.origin = targetView(v.origin, `${where}.origin`);
  if (v.canonical !== undefined) {
    const c = fields(v.canonical, `${where}.canonical`, ['since', 'reason'], ['id', 'url']);
    out.canonical = {
      ...(c.id === undefined ? {} : { id: id(c.id, `${where}.canonical.id`) }),
      ...(c.url === undefined ? {} : { url: str(c.url, `${where}.canonical.url`) }),
      since: str(c.since, `${where}.canonical.since`, 40),
      reason: str(c.reason, `${where}.canonical.reason`),
    };
  }
  return out;
}

function targetView(raw: unknown, where: string): TargetView {
  const v = fields(raw, where, ['id', 'state', 'since', 'evidence', 'vantages', 'latencies', 'paused'], ['url']);
  return {
    id: id(v.id, `${where}.id`),
    ...(v.url === undefined ? {} : { url: str(v.url, `${where}.url`) }),
    state: verdict(v.state, `${where}.state`),
    since: str(v.since, `${where}.since`, 40),
    evidence: list(v.evidence, `${where}.evidence`, LIMITS.evidence, evidence),
    vantages: list(v.vantages, `${where}.vantages`, LIMITS.vantages, vantageView),
    latencies: list(v.latencies, `${where}.latencies`, LIMITS.latencies, num),
    paused: bool(v.paused, `${where}.paused`),
  };
}

function vantageView(raw: unknown, where: string): VantageView {
  const v = fields(raw, where, ['vantage', 'verdict', 'at', 'evidence'], []);
  fields(v.vantage, `${where}.vantage`, ['id', 'kind'], ['country']);
  return {
    vantage: health(() => parseVantage(v.vantage, `${where}.vantage`)),
    verdict: verdict(v.verdict, `${where}.verdict`),
    at: time(v.at, `${where}.at`),
    evidence: list(v.evidence, `${where}.evidence`, LIMITS.evidence, evidence),
  };
}

function evidence(raw: unknown, where: string): TargetView['evidence'][number] {
  fields(raw, where, ['layer', 'code', 'message', 'points'], ['confirmed', 'facts', 'ageSeconds']);
  return health(() => parseEvidence(raw, where));
}

function publishView(raw: unknown, where: string): PublishView {
  const v = fields(raw, where, ['id', 'trigger', 'started', 'outcome', 'targets'], ['ended', 'version', 'cid', 'error']);
  return {
    id: id(v.id, `${where}.id`),
    trigger: str(v.trigger, `${where}.trigger`, 64),
    started: str(v.started, `${where}.started`, 40),
    ...(v.ended === undefined ? {} : { ended: str(v.ended, `${where}.ended`, 40) }),
    outcome: str(v.outcome, `${where}.outcome`, 64),
    ...(v.version === undefined ? {} : { version: num(v.version, `${where}.version`) }),
    ...(v.cid === undefined ? {} : { cid: str(v.cid, `${where}.cid`, 200) }),
    ...(v.error === undefined ? {} : { error: str(v.error, `${where}.error`) }),
    targets: list(v.targets, `${where}.targets`, LIMITS.targets, (t, w) => {
      const x = fields(t, w, ['target', 'ok'], ['error']);
      return {
        target: id(x.target, `${w}.target`),
        ok: bool(x.ok, `${w}.ok`),
        ...(x.error === undefined ? {} : { error: str(x.error, `${w}.error`) }),
      };
    }),
  };
}

function heldPost(raw: unknown, where: string): HeldPostView {
  const v = fields(raw, where, ['id', 'title', 'reasons'], []);
  return {
    id: id(v.id, `${where}.id`),
    title: str(v.title, `${where}.title`),
    reasons: list(v.reasons, `${where}.reasons`, LIMITS.reasons, (r, w) => str(r, w)),
  };
}

function alertView(raw: unknown, where: string): AlertView {
  const v = fields(raw, where, ['at', 'channel', 'subject', 'ok'], ['error']);
  return {
    at: time(v.at, `${where}.at`),
    channel: str(v.channel, `${where}.channel`, 64),
    subject: str(v.subject, `${where}.subject`),
    ok: bool(v.ok, `${where}.ok`),
    ...(v.error === undefined ? {} : { error: str(v.error, `${where}.error`) }),
  };
}

function actionView(raw: unknown, where: string): ActionView {
  const v = fields(raw, where, ['at', 'who', 'action', 'result'], []);
  return {
    at: time(v.at, `${where}.at`),
    who: str(v.who, `${where}.who`, 200),
    action: str(v.action, `${where}.action`, 300),
    result: str(v.result, `${where}.result`),
  };
}

/** An object with these fields and no others. */
function fields(raw: unknown, where: string, required: readonly string[], optional: readonly string[]): Record<string, unknown> {
  if (!isRecord(raw)) throw new ViewShapeError(`${where}: expected an object`);
  for (const k of required) if (raw[k] === undefined) throw new ViewShapeError(`${where}: missing "${k}"`);
  for (const k of Object.keys(raw)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw new ViewShapeError(`${where}: unknown field "${k}" (expected ${[...required, ...optional].join(', ')})`);
    }
  }
  return raw;
}

function list<T>(raw: unknown, where: string, max: number, item: (v: unknown, where: string) => T): T[] {
  if (!Array.isArray(raw)) throw new ViewShapeError(`${where}: expected a list`);
  if (raw.length > max) throw new ViewShapeError(`${where}: at most ${max} entries, got ${raw.length}`);
  return raw.map((v, i) => item(v, `${where}[${i}]`));
}

function str(raw: unknown, where: string, max = MAX_TEXT): string {
  if (typeof raw !== 'string' || raw.length > max) throw new ViewShapeError(`${where}: expected a string of at most ${max} characters`);
  return raw;
}

function id(raw: unknown, where: string): string {
  const s = str(raw, where, 200);
  if (s === '') throw new ViewShapeError(`${where}: expected a non-empty id`);
  return s;
}

function time(raw: unknown, where: string): string {
  const s = str(raw, where, 40);
  if (Number.isNaN(Date.parse(s))) throw new ViewShapeError(`${where}: expected an ISO 8601 time, got '${s}'`);
  return s;
}

function num(raw: unknown, where: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new ViewShapeError(`${where}: expected a number`);
  return raw;
}

function bool(raw: unknown, where: string): boolean {
  if (typeof raw !== 'boolean') throw new ViewShapeError(`${where}: expected true or false`);
  return raw;
}

function verdict(raw: unknown, where: string): Verdict {
  if (!isVerdict(raw)) throw new ViewShapeError(`${where}: expected healthy, degraded, unreachable, blocked or compromised`);
  return raw;
}

function health<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof HealthDataError) throw new ViewShapeError(e.message);
    throw e;
  }
}
