// Stored and received health data, parsed from `unknown` (never cast): probe results (from the
// state store and from agents' reports), evidence and target states. A value that does not fit is
// a HealthDataError naming where it came from and what is wrong.
import { isVerdict, type Evidence, type Layer, type ProbeResult, type Timings, type Vantage, type VantageKind } from './observation.ts';
import { isRecord } from '../is-record.ts';
import type { CanonicalChange, CanonicalRecord } from './choose-canonical.ts';
import type { TargetState, Transition } from './health-state.ts';

export class HealthDataError extends Error {
  override name = 'HealthDataError';
}

const LAYERS: readonly Layer[] = ['dns', 'tcp', 'tls', 'http', 'integrity', 'content', 'blockpage', 'control', 'origin', 'ooni'];
const VANTAGE_KINDS: readonly VantageKind[] = ['local', 'agent', 'ooni', 'worker'];
const TIMING_KEYS = ['dnsMs', 'connectMs', 'tlsMs', 'firstByteMs', 'totalMs'] as const;
/** Longest text kept from anyone else's report (a message, a fact). */
const MAX_TEXT = 2000;

const isLayer = (v: unknown): v is Layer => typeof v === 'string' && (LAYERS as readonly string[]).includes(v);
const isVantageKind = (v: unknown): v is VantageKind => typeof v === 'string' && (VANTAGE_KINDS as readonly string[]).includes(v);

function text(v: unknown, where: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length > max) throw new HealthDataError(`${where}: expected a string of at most ${max} characters`);
  return v;
}

function isoTime(v: unknown, where: string): string {
  const s = text(v, where, 40);
  if (Number.isNaN(Date.parse(s))) throw new HealthDataError(`${where}: expected an ISO 8601 time, got '${s}'`);
  return s;
}

function finite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HealthDataError(`${where}: expected a number`);
  return v;
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.length > 300) throw new HealthDataError(`${where}: expected a list of strings`);
  return v.map((s, i) => text(s, `${where}[${i}]`, 64));
}

export function parseEvidence(v: unknown, where: string): Evidence {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  const layer = v.layer;
  if (!isLayer(layer)) {
    throw new HealthDataError(`${where}.layer: expected one of ${LAYERS.join(', ')}`);
  }
  if (!isVerdict(v.points)) throw new HealthDataError(`${where}.points: expected a verdict`);
  const out: Evidence = {
    layer,
    code: text(v.code, `${where}.code`, 64),
    message: text(v.message, `${where}.message`),
    points: v.points,
  };
  if (v.confirmed !== undefined) {
    if (typeof v.confirmed !== 'boolean') throw new HealthDataError(`${where}.confirmed: expected true or false`);
    out.confirmed = v.confirmed;
  }
  if (v.ageSeconds !== undefined) out.ageSeconds = finite(v.ageSeconds, `${where}.ageSeconds`);
  if (v.facts !== undefined) {
    if (!isRecord(v.facts)) throw new HealthDataError(`${where}.facts: expected an object`);
    const facts: Record<string, string | number | boolean> = {};
    const entries = Object.entries(v.facts);
    if (entries.length > 50) throw new HealthDataError(`${where}.facts: at most 50 facts`);
    for (const [k, f] of entries) {
      if (typeof f === 'string') facts[k] = text(f, `${where}.facts.${k}`);
      else if (typeof f === 'boolean') facts[k] = f;
      else facts[k] = finite(f, `${where}.facts.${k}`);
    }
    out.facts = facts;
  }
  return out;
}

export function parseEvidenceList(v: unknown, where: string): Evidence[] {
  if (!Array.isArray(v) || v.length > 200) throw new HealthDataError(`${where}: expected a list of at most 200 pieces of evidence`);
  return v.map((e, i) => parseEvidence(e, `${where}[${i}]`));
}

export function parseVantage(v: unknown, where: string): Vantage {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  const kind = v.kind;
  if (!isVantageKind(kind)) {
    throw new HealthDataError(`${where}.kind: expected one of ${VANTAGE_KINDS.join(', ')}`);
  }
  const out: Vantage = { id: text(v.id, `${where}.id`, 64), kind };
  if (v.country !== undefined) {
    const c = text(v.country, `${where}.country`, 2);
    if (!/^[A-Z]{2}$/.test(c)) throw new HealthDataError(`${where}.country: expected a two-letter country code such as "CN"`);
    out.country = c;
  }
  return out;
}

export function parseProbeResult(v: unknown, where: string): ProbeResult {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  if (!isVerdict(v.verdict)) throw new HealthDataError(`${where}.verdict: expected a verdict`);
  const out: ProbeResult = {
    target: text(v.target, `${where}.target`, 64),
    vantage: parseVantage(v.vantage, `${where}.vantage`),
    at: isoTime(v.at, `${where}.at`),
    verdict: v.verdict,
    evidence: parseEvidenceList(v.evidence, `${where}.evidence`),
  };
  if (v.timings !== undefined) {
    if (!isRecord(v.timings)) throw new HealthDataError(`${where}.timings: expected an object`);
    const timings: Timings = {};
    for (const key of TIMING_KEYS) {
      const t = v.timings[key];
      if (t !== undefined) timings[key] = finite(t, `${where}.timings.${key}`);
    }
    out.timings = timings;
  }
  if (v.manifestVersion !== undefined) out.manifestVersion = finite(v.manifestVersion, `${where}.manifestVersion`);
  return out;
}

export function parseTargetState(v: unknown, where: string): TargetState {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  if (!isVerdict(v.state)) throw new HealthDataError(`${where}.state: expected a verdict`);
  const out: TargetState = {
    target: text(v.target, `${where}.target`, 64),
    state: v.state,
    since: isoTime(v.since, `${where}.since`),
    streak: finite(v.streak, `${where}.streak`),
    lastRoundAt: isoTime(v.lastRoundAt, `${where}.lastRoundAt`),
    evidence: parseEvidenceList(v.evidence, `${where}.evidence`),
    blockedIn: stringList(v.blockedIn, `${where}.blockedIn`),
  };
  if (v.pending !== undefined) {
    if (!isVerdict(v.pending)) throw new HealthDataError(`${where}.pending: expected a verdict`);
    out.pending = v.pending;
  }
  return out;
}

export function parseTransition(v: unknown, where: string): Transition {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  if (!isVerdict(v.to)) throw new HealthDataError(`${where}.to: expected a verdict`);
  if (v.from !== undefined && v.from !== null && !isVerdict(v.from)) throw new HealthDataError(`${where}.from: expected a verdict`);
  return {
    target: text(v.target, `${where}.target`, 64),
    from: isVerdict(v.from) ? v.from : undefined,
    to: v.to,
    at: isoTime(v.at, `${where}.at`),
    evidence: parseEvidenceList(v.evidence, `${where}.evidence`),
    blockedIn: stringList(v.blockedIn, `${where}.blockedIn`),
  };
}

function optionalId(v: unknown, where: string): string | undefined {
  return v === undefined || v === null ? undefined : text(v, where, 64);
}

export function parseCanonicalRecord(v: unknown, where: string): CanonicalRecord {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  return { id: optionalId(v.id, `${where}.id`), since: isoTime(v.since, `${where}.since`), reason: text(v.reason, `${where}.reason`) };
}

export function parseCanonicalChange(v: unknown, where: string): CanonicalChange {
  if (!isRecord(v)) throw new HealthDataError(`${where}: expected an object`);
  return {
    from: optionalId(v.from, `${where}.from`),
    to: optionalId(v.to, `${where}.to`),
    at: isoTime(v.at, `${where}.at`),
    reason: text(v.reason, `${where}.reason`),
  };
}
