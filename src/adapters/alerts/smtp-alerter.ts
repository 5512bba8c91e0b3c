// Alerts by e-mail through an SMTP server (nodemailer): STARTTLS is required unless `secure` (TLS
// from the first byte) or `requireTls: false` (only for a relay on this machine); certificates are
// verified. Every phase has a timeout, and the whole send a deadline and the caller's abort
// (nodemailer's per-message signal). The body is plain UTF-8 text; the subject is an encoded word,
// so the Chinese reads right in every mail client. A new connection per message: alerts are rare.
import nodemailer from 'nodemailer';
import { AlertError, type Alerter } from '../../ports/alerter.ts';
import { clip } from '../../core/health/alert-text.ts';

export interface SmtpAlerterConfig {
  id: string;
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  from: string;
  to: readonly string[];
  /** Login (the password resolved from its variable by the wiring; never logged). */
  auth?: { user: string; pass: string };
}

export interface SmtpAlerterDeps {
  /** Deadline for the whole send, and for each phase (connect, greeting, idle socket), ms (default 30 s). */
  timeoutMs?: number;
  /** Certificate authorities to trust instead of the system's (a relay with a private CA), PEM. */
  ca?: string;
}

/** Largest body sent, characters. */
export const MAX_MAIL_TEXT = 256 * 1024;

export function createSmtpAlerter(config: SmtpAlerterConfig, deps: SmtpAlerterDeps = {}): Alerter {
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const fail = (detail: string): AlertError => {
    const safe = config.auth === undefined ? detail : detail.split(config.auth.pass).join('<password>');
    return new AlertError(config.id, `smtp ${config.host}:${config.port}: ${clip(safe, 400)}`);
  };
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: !config.secure && config.requireTls,
    ...(config.auth === undefined ? {} : { auth: { user: config.auth.user, pass: config.auth.pass } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(deps.ca === undefined ? {} : { ca: deps.ca }) },
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  return {
    id: config.id,
    kind: 'smtp',
    async send(alert, signal) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const all = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
      try {
        await transport.sendMail({
          from: config.from,
          to: [...config.to],
          subject: alert.subject,
          text: clip(alert.text, MAX_MAIL_TEXT),
          textEncoding: 'base64',
          headers: {
            'X-Ferry-Alert': alert.message.items
              .map((i) => `${i.kind}:${i.target ?? 'canonical'}`)
              .join(', ')
              .slice(0, 900),
          },
          signal: all,
        });
      } catch (e) {
        if (deadline.aborted) throw fail(`no answer within ${timeoutMs} ms`);
        if (signal?.aborted === true) throw fail('cancelled');
        throw fail(e instanceof Error ? e.message : String(e));
      }
    },
  };
}
