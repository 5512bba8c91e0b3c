// Where alerts go: one Alerter per configured alert (webhook, e-mail, Telegram), each sending one
// message with its own deadline and size limits. A failure is an AlertError saying why in words
// that never hold a secret (no token, no password, no secret URL path).
import type { AlertMessage } from '../core/health/alert-plan.ts';

export interface OutgoingAlert {
  message: AlertMessage;
  /** renderAlert's subject and text (Chinese first, then English). */
  subject: string;
  text: string;
}

export interface Alerter {
  /** The configured alert's id (the alert log's key). */
  readonly id: string;
  readonly kind: string;
  /** Delivers the alert, or throws an AlertError. */
  send(alert: OutgoingAlert, signal?: AbortSignal): Promise<void>;
}

export class AlertError extends Error {
  override name = 'AlertError';
  constructor(
    readonly alerter: string,
    /** What went wrong, secret-free. */
    readonly detail: string,
    /** The service said to wait this long before the next try, seconds (Telegram's retry_after). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`alert '${alerter}': ${detail}`);
  }
}
