// The alert log's records, parsed from `unknown` when read back (never cast): what each alerter
// was told, and each attempt to tell it. A value that does not fit is an AlertDataError naming
// where it came from and what is wrong.
import { isRecord } from '../is-record.ts';
import { isVerdict } from './observation.ts';
import type { AlertItemKind, Told } from './alert-plan.ts';

export class AlertDataError extends Error {
  override name = 'AlertDataError';
}

/** One try to deliver a message to one alerter, for the log and the dashboard. */
export interface AlertAttempt {
  alerter: string;
  /** When the try ended (ISO 8601). */
  at: string;
  ok: boolean;
  /** Why it failed, in words (never a secret). */
  error?: string;
  subject: string;
  /** What the message was about: "problem:gh-pages", "canonical:#canonical", ... */
  items: string[];
}

const TOLD_KINDS: readonly (AlertItemKind | 'baseline')[] = ['problem', 'repeat', 'recovery', 'canonical', 'baseline'];
const MAX_TEXT = 2000;

const isToldKind = (v: unknown): v is Told['kind'] => typeof v === 'string' && (TOLD_KINDS as readonly string[]).includes(v);

function text(v: unknown, where: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length > max) throw new AlertDataError(`${where}: expected a string of at most ${max} characters`);
  return v;
}

function isoTime(v: unknown, where: string): string {
  const s = text(v, where, 40);
  if (Number.isNaN(Date.parse(s))) throw new AlertDataError(`${where}: expected an ISO 8601 time, got '${s}'`);
  return s;
}

export function parseTold(v: unknown, where: string): Told {
  if (!isRecord(v)) throw new AlertDataError(`${where}: expected an object`);
  const kind = v.kind;
  if (!isToldKind(kind)) throw new AlertDataError(`${where}: kind must be one of ${TOLD_KINDS.join(', ')}`);
  const told: Told = {
    alerter: text(v.alerter, `${where}: alerter`, 64),
    topic: text(v.topic, `${where}: topic`, 64),
    kind,
    since: isoTime(v.since, `${where}: since`),
    at: isoTime(v.at, `${where}: at`),
  };
  if (v.state !== undefined) {
    if (!isVerdict(v.state)) throw new AlertDataError(`${where}: state is not a verdict`);
    told.state = v.state;
  }
  if (v.problemSince !== undefined) told.problemSince = isoTime(v.problemSince, `${where}: problemSince`);
  if (v.canonical !== undefined) told.canonical = v.canonical === null ? null : text(v.canonical, `${where}: canonical`, 64);
  return told;
}

export function parseAttempt(v: unknown, where: string): AlertAttempt {
  if (!isRecord(v)) throw new AlertDataError(`${where}: expected an object`);
  if (typeof v.ok !== 'boolean') throw new AlertDataError(`${where}: ok must be true or false`);
  if (!Array.isArray(v.items) || v.items.length > 10_000) throw new AlertDataError(`${where}: items must be a list`);
  const attempt: AlertAttempt = {
    alerter: text(v.alerter, `${where}: alerter`, 64),
    at: isoTime(v.at, `${where}: at`),
    ok: v.ok,
    subject: text(v.subject, `${where}: subject`),
    items: v.items.map((s, i) => text(s, `${where}: items[${i}]`, 200)),
  };
  if (v.error !== undefined) attempt.error = text(v.error, `${where}: error`);
  return attempt;
}
