// A real SMTP server on loopback (the smtp-server package) that keeps what it receives, parsed by
// an independent MIME parser (Python's email package, policy=default): decoded headers and body.
// Optional STARTTLS with a certificate made for 127.0.0.1 by openssl, and an optional login.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
  /** Decoded by Python's email package. */
  subject: string;
  from: string;
  to: string;
  contentType: string;
  charset: string;
  body: string;
  headers: Record<string, string>;
  /** The session was upgraded with STARTTLS. */
  secure: boolean;
}

export interface MailServer {
  port: number;
  /** The certificate's PEM (to trust it), when TLS is on. */
  cert?: string;
  received: ReceivedMail[];
  /** Answer the next n messages with a 451 temporary failure. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export interface MailServerOptions {
  tls?: boolean;
  auth?: { user: string; pass: string };
  /** Wait this long before answering the greeting, ms (a hanging server). */
  greetingDelayMs?: number;
}

const PARSE = `
import email, email.policy, json, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
part = m.get_body(preferencelist=('plain',)) or m
print(json.dumps({
  'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
  'contentType': part.get_content_type(), 'charset': part.get_content_charset() or '',
  'body': part.get_content(), 'headers': {k: str(v) for k, v in m.items()},
}))
`;

export function parseMail(raw: string): Omit<ReceivedMail, 'envelopeFrom' | 'envelopeTo' | 'raw' | 'secure'> {
  const out = execFileSync('/usr/bin/python3', ['-c', PARSE], { input: raw, encoding: 'utf8', timeout: 10_000 });
  return JSON.parse(out) as Omit<ReceivedMail, 'envelopeFrom' | 'envelopeTo' | 'raw' | 'secure'>;
}

export function makeCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-smtp-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startMailServer(opts: MailServerOptions = {}): Promise<MailServer> {
  const received: ReceivedMail[] = [];
  let failing = 0;
  const tls = opts.tls === true ? makeCert() : undefined;
  const server = new SMTPServer({
    logger: false,
    banner: 'ferry test relay',
    ...(tls === undefined
      ? { disabledCommands: opts.auth === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'] }
      : { key: tls.key, cert: tls.cert }),
    authOptional: opts.auth === undefined,
    allowInsecureAuth: tls === undefined,
    size: 1024 * 1024,
    onConnect(_session, callback) {
      if (opts.greetingDelayMs === undefined) callback();
      else setTimeout(() => callback(), opts.greetingDelayMs);
    },
    onAuth(auth, _session, callback) {
      if (opts.auth !== undefined && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        callback(null, { user: auth.username });
      } else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          const err = new Error('try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        received.push({
          envelopeFrom,
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    ...(tls === undefined ? {} : { cert: tls.cert }),
    received,
    failNext(n) {
      failing = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
