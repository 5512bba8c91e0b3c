// The TCP and TLS layers of a probe: a timed connect to the address DNS gave; a TLS handshake
// with the mirror's name (certificate trusted, valid for the name, not expired, expiry within 14
// days flagged); and, when the handshake with the mirror's name fails, the SNI test: the same
// address once more with a neutral name. If that one gets through, the name is filtered, not the
// address. Every step has a deadline; nothing here throws for what the network did.
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIpLiteral } from '../../core/health/ip-ranges.ts';
import type { Evidence } from '../../core/health/observation.ts';

export interface TcpOutcome {
  ok: boolean;
  evidence: Evidence[];
  ms: number;
}

export interface TlsOutcome extends TcpOutcome {
  /** Days until the certificate expires (when one was seen). */
  daysLeft?: number;
}

export interface TlsProbeOptions {
  timeoutMs: number;
  now: () => Date;
  /** Trusted CAs (PEM) instead of Node's bundled ones. */
  ca?: string | string[] | undefined;
  /** A name no filter blocks, for the SNI test (default 'example.com'). */
  neutralSni?: string;
  /** Expiry within this many days is flagged (default 14). */
  expiryWarnDays?: number;
  signal?: AbortSignal | undefined;
}

const DAY_MS = 86_400_000;

function reasonOf(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

/** Runs start() with a deadline; a failed socket is destroyed, a ready one handed to the caller to destroy. */
function timed<S extends Socket>(
  start: () => S,
  ready: 'connect' | 'secureConnect',
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ socket: S; ms: number } | { error: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = start();
    let done = false;
    const finish = (value: { socket: S; ms: number } | { error: string; ms: number }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
      if (!('socket' in value)) socket.destroy();
    };
    const onAbort = (): void => finish({ error: 'cancelled', ms: Date.now() - started });
    const timer = setTimeout(() => finish({ error: 'timeout', ms: Date.now() - started }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(ready, () => finish({ socket, ms: Date.now() - started }));
    socket.once('error', (e) => finish({ error: reasonOf(e), ms: Date.now() - started }));
    socket.once('close', () => finish({ error: 'ECONNRESET', ms: Date.now() - started }));
  });
}

export async function probeTcp(
  address: string,
  port: number,
  { timeoutMs, signal }: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<TcpOutcome> {
  const r = await timed(() => netConnect({ host: address, port }), 'connect', timeoutMs, signal);
  const facts = { address, port, ms: r.ms };
  if ('socket' in r) {
    r.socket.destroy();
    return {
      ok: true,
      ms: r.ms,
      evidence: [{ layer: 'tcp', code: 'tcp-ok', message: `connected to ${address}:${port} in ${r.ms} ms`, points: 'healthy', facts }],
    };
  }
  const code =
    r.error === 'timeout'
      ? 'tcp-timeout'
      : r.error === 'ECONNREFUSED'
        ? 'tcp-refused'
        : r.error === 'ECONNRESET'
          ? 'tcp-reset'
          : 'tcp-failed';
  const message =
    code === 'tcp-timeout'
      ? `no TCP connection to ${address}:${port} within ${timeoutMs} ms (down, or the address is blocked)`
      : code === 'tcp-refused'
        ? `${address}:${port} refuses connections`
        : `the TCP connection to ${address}:${port} failed (${r.error})`;
  return { ok: false, ms: r.ms, evidence: [{ layer: 'tcp', code, message, points: 'unreachable', facts: { ...facts, error: r.error } }] };
}

function handshake(
  address: string,
  port: number,
  servername: string | undefined,
  opts: TlsProbeOptions,
): ReturnType<typeof timed<TLSSocket>> {
  return timed(
    () =>
      tlsConnect({
        host: address,
        port,
        ...(servername === undefined ? {} : { servername }),
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      }),
    'secureConnect',
    opts.timeoutMs,
    opts.signal,
  );
}

/** The TLS handshake with the mirror's name, and the SNI test when it fails. */
export async function probeTls(address: string, port: number, name: string, opts: TlsProbeOptions): Promise<TlsOutcome> {
  const sni = isIpLiteral(name) ? undefined : name;
  const r = await handshake(address, port, sni, opts);
  const facts = { address, port, name, ms: r.ms };
  if (!('socket' in r)) {
    const evidence: Evidence[] = [];
    // The SNI test: the same address, a neutral name. Only meaningful with a name to filter on.
    const neutral = opts.neutralSni ?? 'example.com';
    const control = sni === undefined ? undefined : await handshake(address, port, neutral, opts);
    if (control !== undefined && 'socket' in control) control.socket.destroy();
    if (control !== undefined && 'socket' in control) {
      evidence.push({
        layer: 'tls',
        code: 'tls-sni-filtered',
        message: `the TLS handshake for ${name} fails (${r.error}) while the same address completes one for ${neutral}: the name is filtered (SNI), not the address`,
        points: 'blocked',
        facts: { ...facts, error: r.error, neutral },
      });
    } else {
      evidence.push({
        layer: 'tls',
        code: r.error === 'timeout' ? 'tls-timeout' : 'tls-failed',
        message: `the TLS handshake with ${address}:${port} for ${name} fails (${r.error})${control === undefined ? '' : `, and for ${neutral} too: the address or the server, not the name`}`,
        points: 'unreachable',
        facts: { ...facts, error: r.error },
      });
    }
    return { ok: false, ms: r.ms, evidence };
  }
  const socket = r.socket;
  const cert: PeerCertificate = socket.getPeerCertificate();
  const authorized = socket.authorized;
  const authorizationError = socket.authorizationError;
  socket.destroy();
  const evidence: Evidence[] = [];
  const expires = Date.parse(cert.valid_to);
  const notBefore = Date.parse(cert.valid_from);
  const now = opts.now().getTime();
  const daysLeft = Number.isFinite(expires) ? Math.floor((expires - now) / DAY_MS) : undefined;
  const certFacts = {
    ...facts,
    ...(cert.valid_to ? { expires: new Date(expires).toISOString() } : {}),
    ...(cert.subject?.CN ? { subject: String(cert.subject.CN) } : {}),
  };
  const authError = authorized ? undefined : String(authorizationError ?? 'not trusted');
  const identity = sni === undefined ? undefined : checkServerIdentity(sni, cert);

  if (!Number.isFinite(expires) || expires <= now || authError === 'CERT_HAS_EXPIRED') {
    evidence.push({
      layer: 'tls',
      code: 'tls-expired',
      message: `the certificate for ${name} expired on ${cert.valid_to}`,
      points: 'unreachable',
      facts: certFacts,
    });
  } else if (Number.isFinite(notBefore) && notBefore > now) {
    evidence.push({
      layer: 'tls',
      code: 'tls-not-yet-valid',
      message: `the certificate for ${name} is valid only from ${cert.valid_from}`,
      points: 'unreachable',
      facts: certFacts,
    });
  } else if (authError !== undefined) {
    evidence.push({
      layer: 'tls',
      code: 'tls-untrusted',
      message: `the certificate ${name} presents is not trusted (${authError}): readers' browsers refuse it; it may be intercepted on the way`,
      points: 'unreachable',
      facts: { ...certFacts, error: authError },
    });
  }
  if (identity !== undefined) {
    evidence.push({
      layer: 'tls',
      code: 'tls-wrong-name',
      message: `the certificate is not valid for ${name}: ${identity.message}`,
      points: 'unreachable',
      facts: certFacts,
    });
  }
  if (evidence.length === 0 && daysLeft !== undefined && daysLeft < (opts.expiryWarnDays ?? 14)) {
    evidence.push({
      layer: 'tls',
      code: 'tls-expiring',
      message: `the certificate for ${name} expires in ${daysLeft} day(s), on ${cert.valid_to}`,
      points: 'degraded',
      facts: { ...certFacts, daysLeft },
    });
  }
  if (evidence.length === 0) {
    evidence.push({
      layer: 'tls',
      code: 'tls-ok',
      message: `TLS for ${name} in ${r.ms} ms, certificate valid until ${cert.valid_to}`,
      points: 'healthy',
      facts: certFacts,
    });
  }
  return { ok: !evidence.some((e) => e.points === 'unreachable'), ms: r.ms, evidence, ...(daysLeft === undefined ? {} : { daysLeft }) };
}
