// Alerters from configuration: one factory per kind of ALERT_KINDS (src/core/alerts-config.ts,
// where each kind's fields and typed config are), each handed its validated config and the
// secrets it names, read from the environment here and nowhere else. A variable that is not set is
// a ConfigError naming the file, the alert, the field and the fix, before any alerter is built.
// openAlertService is what `ferry serve` wires in: the alerters, the log, dispatch after a round.
import { ALERT_KINDS, ALERT_URL, URL_MEANS, checkAlertSecrets, type AlertConfig } from '../core/alerts-config.ts';
import { ConfigError } from '../core/config-error.ts';
import { createKinds, type KindFactories } from '../core/kinds.ts';
import type { Alerter } from '../ports/alerter.ts';
import { createSmtpAlerter } from '../adapters/alerts/smtp-alerter.ts';
import { createTelegramAlerter } from '../adapters/alerts/telegram-alerter.ts';
import { createWebhookAlerter } from '../adapters/alerts/webhook-alerter.ts';
import type { HttpCall } from '../adapters/web/http-call.ts';
import { createSqliteAlertLog } from '../adapters/alerts/sqlite-alert-log.ts';
import type { RoundOutcome } from '../health/check-round.ts';
import { alertViews, dispatchRoundAlerts, type ConfiguredAlerter, type DispatchOutcome } from '../health/dispatch-alerts.ts';
import type { AlertView } from '../ports/dashboard.ts';

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

export interface AlertServiceOptions {
  alerts: readonly AlertConfig[];
  /** The config file, for messages. */
  file: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The alert log's SQLite file (the health store's health.db is fine: its own tables). */
  logFile: string;
  /** Target id -> the address readers use, named in the text. */
  urls?: Readonly<Record<string, string>>;
  now?: () => Date;
  /** Per-send deadline, ms (default: each adapter's). */
  timeoutMs?: number;
}

/** What `ferry serve` needs: alerts after each round, the dashboard's list, and closing the log. */
export interface AlertService {
  /** Configured alerters (none: dispatch sends nothing). */
  readonly count: number;
  dispatch(outcome: RoundOutcome, signal?: AbortSignal): Promise<DispatchOutcome>;
  views(limit?: number): Promise<AlertView[]>;
  close(): Promise<void>;
}

/** Builds the alerters (a ConfigError for an unset variable, before anything is opened) and opens the log. */
export function openAlertService(options: AlertServiceOptions): AlertService {
  const { alerts, file, env, logFile, urls = {}, now, timeoutMs } = options;
  const alerters = createAlerters(alerts, { file, env, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const log = createSqliteAlertLog(logFile);
  return {
    count: alerters.length,
    dispatch: (outcome, signal) =>
      dispatchRoundAlerts(outcome, {
        alerters,
        log,
        urls,
        ...(now === undefined ? {} : { now }),
        ...(signal === undefined ? {} : { signal }),
      }),
    views: (limit) => alertViews(log, limit),
    close: () => log.close(),
  };
}
