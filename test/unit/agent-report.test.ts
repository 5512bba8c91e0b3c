// Agents' signed reports: canonical bytes, signature, parsing from unknown, freshness, and that
// the vantage point comes from the enrollment, never from the report.
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, utf8ToBytes } from '../../src/core/bytes.ts';
import {
  AgentReportError,
  MAX_REPORT_RESULTS,
  canonicalJson,
  checkEnrollment,
  openAgentReport,
  parseSignedAgentReport,
  signAgentReport,
  type AgentReport,
  type EnrolledAgent,
  type RejectReason,
  type SignedAgentReport,
} from '../../src/core/health/agent-report.ts';
import type { ProbeResult } from '../../src/core/health/observation.ts';
import { generateKeyPair, keyFingerprint, signBytes } from '../../src/core/manifest.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const pair = generateKeyPair(new Uint8Array(32).fill(7));
const other = generateKeyPair(new Uint8Array(32).fill(8));
const AGENT: EnrolledAgent = { id: 'volunteer-1', publicKey: toBase64(pair.publicKey), country: 'CN', enrolledAt: '2026-11-01T00:00:00Z' };

function result(target: string, at = NOW.toISOString()): ProbeResult {
  return {
    target,
    // What the agent claims about itself is overwritten on receipt.
    vantage: { id: 'local', kind: 'local' },
    at,
    verdict: 'healthy',
    evidence: [{ layer: 'tcp', code: 'tcp-reset', message: 'connection reset', points: 'blocked' }],
  };
}

function report(over: Partial<AgentReport> = {}): AgentReport {
  return {
    agent: keyFingerprint(pair.publicKey),
    country: 'CN',
    sentAt: NOW.toISOString(),
    nonce: 'n0nce-0123456789ab',
    results: [result('a')],
    ...over,
  };
}

function rejection(fn: () => unknown): RejectReason | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AgentReportError) return e.reason;
    throw e;
  }
  return undefined;
}

/** Sign arbitrary payload bytes as a (possibly buggy or hostile) agent would. */
function signRaw(payload: string, key = pair): SignedAgentReport {
  const signed = signAgentReport(report(), key.privateKey, key.publicKey);
  // Sign other bytes the way signAgentReport does (the format line, then the payload).
  const bytes = utf8ToBytes(payload);
  const prefix = utf8ToBytes('ferry-agent-report/1\n');
  const all = new Uint8Array(prefix.length + bytes.length);
  all.set(prefix);
  all.set(bytes, prefix.length);
  return { ...signed, payload: toBase64(bytes), signature: toBase64(signBytes(all, key.privateKey)) };
}

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined properties, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/finite/);
  });
});

describe('signAgentReport / openAgentReport', () => {
  it('opens a report it signed, with the enrolled name and country on every result', () => {
    const signed = parseSignedAgentReport(JSON.parse(JSON.stringify(signAgentReport(report(), pair.privateKey, pair.publicKey))));
    const opened = openAgentReport(signed, AGENT, { now: NOW });
    expect(opened.results).toEqual([
      { ...result('a'), vantage: { id: 'volunteer-1', kind: 'agent', country: 'CN' }, verdict: 'unreachable' },
    ]);
    expect(opened.nonce).toBe('n0nce-0123456789ab');
    expect(opened.nonceExpiresAt).toBe('2026-12-01T12:12:00.000Z');
  });

  it('signs the same report to the same bytes', () => {
    expect(signAgentReport(report(), pair.privateKey, pair.publicKey)).toEqual(signAgentReport(report(), pair.privateKey, pair.publicKey));
  });

  it.each<[string, () => RejectReason | undefined, RejectReason]>([
    [
      'a payload changed after signing',
      () => {
        const s = signAgentReport(report(), pair.privateKey, pair.publicKey);
        const changed = utf8ToBytes(new TextDecoder().decode(fromBase64(s.payload)).replace('"healthy"', '"blocked"'));
        return rejection(() => openAgentReport({ ...s, payload: toBase64(changed) }, AGENT, { now: NOW }));
      },
      'bad-signature',
    ],
    [
      'a report signed by another key under the enrolled fingerprint',
      () => {
        const s = signAgentReport(report(), other.privateKey, other.publicKey);
        return rejection(() => openAgentReport({ ...s, key: keyFingerprint(pair.publicKey) }, AGENT, { now: NOW }));
      },
      'bad-signature',
    ],
    [
      'a key nobody enrolled',
      () => rejection(() => openAgentReport(signAgentReport(report(), other.privateKey, other.publicKey), undefined, { now: NOW })),
      'unknown-key',
    ],
    [
      'an enrollment whose key is not the envelope key',
      () => {
        const s = signAgentReport(report(), other.privateKey, other.publicKey);
        return rejection(() => openAgentReport(s, AGENT, { now: NOW }));
      },
      'unknown-key',
    ],
    [
      'sent 11 minutes ago',
      () =>
        rejection(() =>
          openAgentReport(
            signAgentReport(report({ sentAt: new Date(NOW.getTime() - 11 * 60_000).toISOString() }), pair.privateKey, pair.publicKey),
            AGENT,
            {
              now: NOW,
            },
          ),
        ),
      'stale',
    ],
    [
      'sent 3 minutes in the future',
      () =>
        rejection(() =>
          openAgentReport(
            signAgentReport(report({ sentAt: new Date(NOW.getTime() + 3 * 60_000).toISOString() }), pair.privateKey, pair.publicKey),
            AGENT,
            {
              now: NOW,
            },
          ),
        ),
      'from-the-future',
    ],
    [
      'a fresh report carrying an old probe result',
      () =>
        rejection(() =>
          openAgentReport(
            signAgentReport(report({ results: [result('a', '2026-11-30T00:00:00Z')] }), pair.privateKey, pair.publicKey),
            AGENT,
            {
              now: NOW,
            },
          ),
        ),
      'stale',
    ],
    [
      'a country other than the enrolled one',
      () =>
        rejection(() => openAgentReport(signAgentReport(report({ country: 'IR' }), pair.privateKey, pair.publicKey), AGENT, { now: NOW })),
      'country-mismatch',
    ],
    [
      'the same target twice',
      () =>
        rejection(() =>
          openAgentReport(signAgentReport(report({ results: [result('a'), result('a')] }), pair.privateKey, pair.publicKey), AGENT, {
            now: NOW,
          }),
        ),
      'malformed',
    ],
    ['signed bytes that are not JSON', () => rejection(() => openAgentReport(signRaw('{"agent":'), AGENT, { now: NOW })), 'malformed'],
    [
      'a signed result that is not a probe result',
      () =>
        rejection(() =>
          openAgentReport(signRaw(canonicalJson({ ...report(), results: [{ target: 'a', verdict: 'fine' }] })), AGENT, { now: NOW }),
        ),
      'malformed',
    ],
    [
      'too many results',
      () =>
        rejection(() =>
          openAgentReport(
            signRaw(canonicalJson({ ...report(), results: Array.from({ length: MAX_REPORT_RESULTS + 1 }, (_, i) => result(`m${i}`)) })),
            AGENT,
            { now: NOW },
          ),
        ),
      'malformed',
    ],
    [
      'a payload agent other than the envelope key',
      () => rejection(() => openAgentReport(signRaw(canonicalJson({ ...report(), agent: '0123456789abcdef' })), AGENT, { now: NOW })),
      'malformed',
    ],
  ])('refuses %s', (_name, run, reason) => {
    expect(run()).toBe(reason);
  });

  it('accepts a report just inside the window, and one a little ahead of this clock', () => {
    const old = report({
      sentAt: new Date(NOW.getTime() - 9 * 60_000).toISOString(),
      results: [result('a', new Date(NOW.getTime() - 9 * 60_000).toISOString())],
    });
    expect(openAgentReport(signAgentReport(old, pair.privateKey, pair.publicKey), AGENT, { now: NOW }).results).toHaveLength(1);
    const ahead = report({ sentAt: new Date(NOW.getTime() + 60_000).toISOString() });
    expect(openAgentReport(signAgentReport(ahead, pair.privateKey, pair.publicKey), AGENT, { now: NOW }).results).toHaveLength(1);
  });

  it('takes the verdict from the evidence, not from what the agent wrote', () => {
    const claim: ProbeResult = { ...result('a'), verdict: 'compromised', evidence: [] };
    const opened = openAgentReport(signAgentReport(report({ results: [claim] }), pair.privateKey, pair.publicKey), AGENT, { now: NOW });
    expect(opened.results[0]?.verdict).toBe('healthy');
  });
});

describe('parseSignedAgentReport', () => {
  const good = (): Record<string, unknown> => ({ ...signAgentReport(report(), pair.privateKey, pair.publicKey) });
  it.each<[string, unknown]>([
    ['not an object', [1, 2]],
    ['another format', { ...good(), format: 'ferry-agent-report/0' }],
    ['a key that is not a fingerprint', { ...good(), key: 'volunteer-1' }],
    ['no payload', { ...good(), payload: undefined }],
    ['a number as signature', { ...good(), signature: 5 }],
    ['an oversized payload', { ...good(), payload: 'A'.repeat(2_000_000) }],
  ])('refuses %s as malformed', (_name, v) => {
    expect(rejection(() => parseSignedAgentReport(v))).toBe('malformed');
  });
});

describe('checkEnrollment', () => {
  it.each([
    ['local', 'CN', /built-in/],
    ['Worker', 'CN', /built-in/],
    ['a b', 'CN', /letters, digits/],
    ['ok', 'cn', /two-letter/],
    ['ok', 'CHN', /two-letter/],
  ])('refuses %s in %s', (id, country, message) => {
    expect(() => checkEnrollment(id, country)).toThrow(message);
  });
  it('accepts a plain name and country', () => {
    expect(() => checkEnrollment('shanghai-1', 'CN')).not.toThrow();
  });
});
