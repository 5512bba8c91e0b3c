// Alerters from configuration: one factory per kind of ALERT_KINDS (src/core/alerts-config.ts,
// where each kind's fields and typed config are), each handed its validated config and the
// secrets it names, read from the environment here and nowhere else. A variable that is not set is
// a ConfigError naming the file, the alert, the field and the fix, before any alerter is built.
import { ALERT_KINDS, ALERT_URL, URL_MEANS, checkAlertSecrets, type AlertConfig } from '../core/alerts-config.ts';
import { ConfigError } from '../core/config-error.ts';
import { createKinds, type KindFactories } from '../core/kinds.ts';
import type { Alerter } from '../ports/alerter.ts';
import { createSmtpAlerter } from '../adapters/alerts/smtp-alerter.ts';
import { createTelegramAlerter } from '../adapters/alerts/telegram-alerter.ts';
import { createWebhookAlerter } from '../adapters/alerts/webhook-alerter.ts';
import type { HttpCall } from '../adapters/web/http-call.ts';
import type { ConfiguredAlerter } from '../health/dispatch-alerts.ts';

export interface AlerterDeps {
  /** The config file, for messages. */
  file: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Default: the one HTTP helper over fetch. */
  http?: HttpCall;
  /** Certificate authorities an SMTP relay's certificate is checked against instead of the system's, PEM. */
  smtpCa?: string;
  /** Per-send deadline, ms (default: each adapter's). */
  timeoutMs?: number;
}

function secret(d: AlerterDeps, id: string, field: string, variable: string): string {
  const value = d.env[variable]?.trim();
  if (value === undefined || value === '') {
    throw new ConfigError(
      `${d.file}: alert '${id}': ${field}: environment variable ${variable} is not set; export it, or set ${field} to the variable that holds it`,
    );
  }
  return value;
}

const limits = (d: AlerterDeps): { timeoutMs?: number } => (d.timeoutMs === undefined ? {} : { timeoutMs: d.timeoutMs });

export const ALERTER_FACTORIES: KindFactories<typeof ALERT_KINDS, AlerterDeps, Alerter> = {
  webhook: ({ id, url, urlEnv, secretEnv }, d) => {
    const address = url ?? secret(d, id, 'urlEnv', urlEnv ?? '');
    if (url === undefined && !ALERT_URL.test(address)) {
      throw new ConfigError(`${d.file}: alert '${id}': urlEnv: the variable ${urlEnv ?? ''} must hold ${URL_MEANS}`);
    }
    return createWebhookAlerter(
      { id, url: address, ...(secretEnv === undefined ? {} : { secret: secret(d, id, 'secretEnv', secretEnv) }) },
      { ...limits(d), ...(d.http === undefined ? {} : { http: d.http }) },
    );
  },
  smtp: ({ id, host, port, secure, requireTls, from, to, user, passwordEnv }, d) =>
    createSmtpAlerter(
      {
        id,
        host,
        port,
        secure,
        requireTls,
        from,
        to,
        ...(user === undefined || passwordEnv === undefined ? {} : { auth: { user, pass: secret(d, id, 'passwordEnv', passwordEnv) } }),
      },
      { ...limits(d), ...(d.smtpCa === undefined ? {} : { ca: d.smtpCa }) },
    ),
  telegram: ({ id, tokenEnv, chatId, apiBase }, d) =>
    createTelegramAlerter(
      { id, token: secret(d, id, 'tokenEnv', tokenEnv), chatId, apiBase },
      { ...limits(d), ...(d.http === undefined ? {} : { http: d.http }) },
    ),
};

/** Every configured alert as an alerter with its policy, ready for dispatchAlerts. */
export function createAlerters(configs: readonly AlertConfig[], deps: AlerterDeps): ConfiguredAlerter[] {
  checkAlertSecrets(configs, deps.env, deps.file);
  return configs.flatMap((config) =>
    createKinds<typeof ALERT_KINDS, AlerterDeps, Alerter>(ALERT_KINDS, [config], ALERTER_FACTORIES, deps, 'alert').map((alerter) => ({
      alerter,
      policy: { repeatEverySeconds: config.repeatEverySeconds, degraded: config.degraded },
    })),
  );
}
