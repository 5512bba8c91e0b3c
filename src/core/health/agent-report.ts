// An agent's signed report: what a volunteer's `ferry probe` saw from inside a restricted network,
// signed with the agent's own ed25519 key (the `ferry keygen` format). Pure: the clock, the
// enrolled agent and the replay memory come in from the caller.
//
// On the wire (POST /_ferry/agent/report, JSON, at most MAX_REPORT_BYTES):
//   { "format": "ferry-agent-report/1", "key": "<fingerprint>", "payload": "<base64>", "signature": "<base64>" }
// `payload` is the canonical JSON (sorted keys, no spaces) of
//   { "agent": "<fingerprint>", "country"?: "CN", "sentAt": "<ISO>", "nonce": "<16-64 chars>", "results": [ProbeResult...] }
// and `signature` is ed25519 over SIGNING_PREFIX + those exact bytes (the prefix keeps a report's
// signature from ever being a manifest's). The receiver verifies the bytes it got, then parses them.
//
// Only results come in: no page bodies, no browsing data (parseProbeResult keeps short facts only).
// What an agent says about itself is never trusted for who it is: the vantage point of every
// result is the enrolled agent's name and country, whatever the report says.
import { fromBase64, toBase64, utf8ToBytes, utf8ToString } from '../bytes.ts';
import { isRecord } from '../is-record.ts';
import { keyFingerprint, signBytes, verifyBytes } from '../manifest.ts';
import { HealthDataError, parseProbeResult } from './health-codec.ts';
import { classifyEvidence, type ProbeResult, type Vantage } from './observation.ts';

export const AGENT_REPORT_FORMAT = 'ferry-agent-report/1';
const SIGNING_PREFIX = utf8ToBytes(`${AGENT_REPORT_FORMAT}\n`);

/** Largest report body accepted, bytes (a round over 200 mirrors is about 100 KiB). */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** Most results in one report. */
export const MAX_REPORT_RESULTS = 1000;
/** A report counts this long after it was sent (and its nonce is remembered this long). */
export const DEFAULT_FRESHNESS_MS = 10 * 60_000;
/** How far ahead of the receiver's clock a report may be dated (clock skew). */
export const DEFAULT_MAX_SKEW_MS = 2 * 60_000;

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;
const COUNTRY = /^[A-Z]{2}$/;
/** Agent names: as mirror ids, and never one of the built-in vantage points. */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const RESERVED_AGENT_NAMES: readonly string[] = ['local', 'ooni', 'worker'];

/** What an agent signs. */
export interface AgentReport {
  /** The fingerprint of the agent's public key (keyFingerprint). */
  agent: string;
  /** Where the agent says it is; must match its enrollment when given. */
  country?: string;
  sentAt: string;
  /** Random, once per report: a report seen twice is a replay. */
  nonce: string;
  results: ProbeResult[];
}

/** The wire envelope. */
export interface SignedAgentReport {
  format: typeof AGENT_REPORT_FORMAT;
  key: string;
  payload: string;
  signature: string;
}

/** An agent a maintainer enrolled (`ferry agent enroll`). */
export interface EnrolledAgent {
  /** The agent's name: its vantage point id. */
  id: string;
  /** base64 of the 32-byte ed25519 public key. */
  publicKey: string;
  /** ISO 3166-1 alpha-2, upper case: the country it measures from. */
  country: string;
  enrolledAt: string;
}

export type RejectReason =
  'too-large' | 'malformed' | 'unknown-key' | 'bad-signature' | 'stale' | 'from-the-future' | 'replayed' | 'country-mismatch';

/** Why a report was refused; `reason` is a stable code, `message` says it in words (no body). */
export class AgentReportError extends Error {
  override name = 'AgentReportError';
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

export class AgentEnrollmentError extends Error {
  override name = 'AgentEnrollmentError';
}

/** JSON with object keys sorted at every level and no spaces: the same value, the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}

/** Sign a report with the agent's private key (32-byte seed). */
export function signAgentReport(report: AgentReport, privateKey: Uint8Array, publicKey: Uint8Array): SignedAgentReport {
  const bytes = utf8ToBytes(canonicalJson(report));
  return {
    format: AGENT_REPORT_FORMAT,
    key: keyFingerprint(publicKey),
    payload: toBase64(bytes),
    signature: toBase64(signBytes(concat(SIGNING_PREFIX, bytes), privateKey)),
  };
}

/** Check an agent name and country before enrolling them. */
export function checkEnrollment(id: string, country: string): void {
  if (!AGENT_NAME.test(id)) {
    throw new AgentEnrollmentError(`agent name '${id}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (RESERVED_AGENT_NAMES.includes(id.toLowerCase())) {
    throw new AgentEnrollmentError(
      `agent name '${id}' is taken by a built-in vantage point (${RESERVED_AGENT_NAMES.join(', ')}); choose another`,
    );
  }
  if (!COUNTRY.test(country)) {
    throw new AgentEnrollmentError(`country '${country}': give the two-letter ISO 3166-1 code in capitals, such as CN`);
  }
}

/** An enrollment as stored, parsed from unknown; `where` names the store. */
export function parseEnrolledAgent(v: unknown, where: string): EnrolledAgent {
  const bad = (what: string): HealthDataError => new HealthDataError(`${where}: enrolled agent: ${what}`);
  if (!isRecord(v)) throw bad('expected an object');
  const { id, publicKey, country, enrolledAt } = v;
  if (typeof id !== 'string' || !AGENT_NAME.test(id)) throw bad('id must be an agent name');
  if (typeof country !== 'string' || !COUNTRY.test(country)) throw bad(`'${id}': country must be a two-letter code`);
  if (typeof enrolledAt !== 'string' || Number.isNaN(Date.parse(enrolledAt))) throw bad(`'${id}': enrolledAt must be an ISO time`);
  let key: Uint8Array;
  try {
    key = fromBase64(typeof publicKey === 'string' ? publicKey : '');
  } catch {
    throw bad(`'${id}': publicKey must be base64`);
  }
  if (typeof publicKey !== 'string' || key.length !== 32) throw bad(`'${id}': publicKey must be base64 of 32 bytes`);
  return { id, publicKey, country, enrolledAt };
}

/** The envelope from a parsed request body: its shape only, nothing verified yet. */
export function parseSignedAgentReport(v: unknown): SignedAgentReport {
  const bad = (what: string): AgentReportError => new AgentReportError('malformed', `not an agent report: ${what}`);
  if (!isRecord(v)) throw bad(`expected a JSON object with format, key, payload and signature`);
  if (v.format !== AGENT_REPORT_FORMAT) throw bad(`format must be "${AGENT_REPORT_FORMAT}"`);
  if (typeof v.key !== 'string' || !FINGERPRINT.test(v.key)) throw bad('key must be the 16 hex digits of the agent key fingerprint');
  if (typeof v.payload !== 'string' || v.payload.length === 0 || v.payload.length > Math.ceil(MAX_REPORT_BYTES / 3) * 4) {
    throw bad(`payload must be base64 of at most ${MAX_REPORT_BYTES} bytes`);
  }
  if (typeof v.signature !== 'string' || v.signature.length > 100) throw bad('signature must be base64 of 64 bytes');
  return { format: AGENT_REPORT_FORMAT, key: v.key, payload: v.payload, signature: v.signature };
}

export interface OpenOptions {
  now: Date;
  freshnessMs?: number;
  maxSkewMs?: number;
}

export interface OpenedReport {
  agent: EnrolledAgent;
  nonce: string;
  sentAt: string;
  /** Remember the nonce until then: after it, a replay is stale anyway. */
  nonceExpiresAt: string;
  /** The results, each from the enrolled agent's vantage point, verdicts from their evidence. */
  results: ProbeResult[];
}

/**
 * Verify an envelope against the agent enrolled for its key (undefined: none is), then parse and
 * check what it says: the signature first, so nothing an outsider sent is ever read, then the
 * payload, its freshness and its results. The replay check (has this nonce been seen?) is the
 * caller's, with its store, after this succeeds.
 */
export function openAgentReport(
  envelope: SignedAgentReport,
  agent: EnrolledAgent | undefined,
  { now, freshnessMs = DEFAULT_FRESHNESS_MS, maxSkewMs = DEFAULT_MAX_SKEW_MS }: OpenOptions,
): OpenedReport {
  if (agent === undefined) {
    throw new AgentReportError('unknown-key', `no agent is enrolled with key ${envelope.key} (ferry agent enroll)`);
  }
  let bytes: Uint8Array;
  let signature: Uint8Array;
  let publicKey: Uint8Array;
  try {
    bytes = fromBase64(envelope.payload);
    signature = fromBase64(envelope.signature);
    publicKey = fromBase64(agent.publicKey);
  } catch {
    throw new AgentReportError('malformed', 'not an agent report: payload and signature must be base64');
  }
  if (keyFingerprint(publicKey) !== envelope.key) {
    throw new AgentReportError('unknown-key', `no agent is enrolled with key ${envelope.key}`);
  }
  if (bytes.length > MAX_REPORT_BYTES) throw new AgentReportError('too-large', `payload is over ${MAX_REPORT_BYTES} bytes`);
  if (signature.length !== 64 || !verifyBytes(concat(SIGNING_PREFIX, bytes), signature, publicKey)) {
    throw new AgentReportError('bad-signature', `the signature does not verify with agent '${agent.id}''s key`);
  }

  const report = parsePayload(bytes);
  if (report.agent !== envelope.key) throw new AgentReportError('malformed', 'payload agent does not match the envelope key');
  if (report.country !== undefined && report.country !== agent.country) {
    throw new AgentReportError(
      'country-mismatch',
      `agent '${agent.id}' is enrolled in ${agent.country} but reports from ${report.country}; re-enroll it if it moved`,
    );
  }
  const sent = Date.parse(report.sentAt);
  const age = now.getTime() - sent;
  if (age > freshnessMs) {
    throw new AgentReportError('stale', `sent at ${report.sentAt}, more than ${freshnessMs / 60_000} min ago (check the agent's clock)`);
  }
  if (-age > maxSkewMs) {
    throw new AgentReportError('from-the-future', `sent at ${report.sentAt}, ahead of this clock by more than ${maxSkewMs / 1000} s`);
  }

  const vantage: Vantage = { id: agent.id, kind: 'agent', country: agent.country };
  const seen = new Set<string>();
  const results = report.results.map((r, i) => {
    if (seen.has(r.target)) throw new AgentReportError('malformed', `results[${i}]: target '${r.target}' appears twice`);
    seen.add(r.target);
    const at = Date.parse(r.at);
    if (at < sent - freshnessMs || at > sent + maxSkewMs) {
      throw new AgentReportError('stale', `results[${i}]: probed at ${r.at}, not within the report's time (${report.sentAt})`);
    }
    return { ...r, vantage, verdict: classifyEvidence(r.evidence) };
  });
  return {
    agent,
    nonce: report.nonce,
    sentAt: report.sentAt,
    nonceExpiresAt: new Date(sent + freshnessMs + maxSkewMs).toISOString(),
    results,
  };
}

function parsePayload(bytes: Uint8Array): AgentReport {
  const bad = (what: string): AgentReportError => new AgentReportError('malformed', `report payload: ${what}`);
  let v: unknown;
  try {
    v = JSON.parse(utf8ToString(bytes, 'report payload'));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!isRecord(v)) throw bad('expected an object');
  if (typeof v.agent !== 'string') throw bad('agent must be the key fingerprint');
  if (v.country !== undefined && (typeof v.country !== 'string' || !COUNTRY.test(v.country))) {
    throw bad('country must be a two-letter code such as "CN"');
  }
  if (typeof v.sentAt !== 'string' || v.sentAt.length > 40 || Number.isNaN(Date.parse(v.sentAt))) {
    throw bad('sentAt must be an ISO 8601 time');
  }
  if (typeof v.nonce !== 'string' || !NONCE.test(v.nonce)) throw bad('nonce must be 16-64 letters, digits, - or _');
  if (!Array.isArray(v.results) || v.results.length > MAX_REPORT_RESULTS) {
    throw bad(`results must be a list of at most ${MAX_REPORT_RESULTS} probe results`);
  }
  const list: unknown[] = v.results;
  let results: ProbeResult[];
  try {
    results = list.map((r, i) => parseProbeResult(r, `results[${i}]`));
  } catch (e) {
    if (e instanceof HealthDataError) throw bad(e.message);
    throw e;
  }
  return { agent: v.agent, ...(typeof v.country === 'string' ? { country: v.country } : {}), sentAt: v.sentAt, nonce: v.nonce, results };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
