// After a check round: tell each configured alerter what it does not know yet (planAlerts, pure),
// render the words once per message (Chinese, then English), send them all at once, and record
// each try in the alert log as it ends. An alerter that fails or hangs holds up no other (each has
// its own deadline); what it failed to deliver stays untold in the log, so the next round plans it
// again. What was delivered is recorded with the try in one step, so a crash resends at most the
// messages that were in flight. The same on Node (`ferry serve`, `ferry check`) and Workers.
import { planAlerts, type AlertPolicy } from '../core/health/alert-plan.ts';
import type { AlertAttempt } from '../core/health/alert-codec.ts';
import { renderAlert } from '../core/health/alert-text.ts';
import type { CanonicalRecord } from '../core/health/choose-canonical.ts';
import type { TargetState } from '../core/health/health-state.ts';
import { AlertError, type Alerter } from '../ports/alerter.ts';
import type { AlertLog } from '../ports/alert-log.ts';
import type { AlertView } from '../ports/dashboard.ts';
import type { RoundOutcome } from './check-round.ts';

/** An alerter and when it wants to be told (from its entry in ferry.config.json). */
export interface ConfiguredAlerter {
  alerter: Alerter;
  policy: AlertPolicy;
}

export interface DispatchOptions {
  alerters: readonly ConfiguredAlerter[];
  log: AlertLog;
  /** Every checked target's state after the round. */
  states: readonly TargetState[];
  canonical: CanonicalRecord | undefined;
  /** Target id -> the address readers use, named in the text. */
  urls?: Readonly<Record<string, string>>;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface DispatchOutcome {
  /** Every try, delivered or not, in the order the plan made them. */
  attempts: AlertAttempt[];
  /** How many alerters were told nothing new, just remembered (the first canonical they see). */
  remembered: number;
}

export async function dispatchAlerts({
  alerters,
  log,
  states,
  canonical,
  urls = {},
  now = () => new Date(),
  signal,
}: DispatchOptions): Promise<DispatchOutcome> {
  const byId = new Map(alerters.map((a) => [a.alerter.id, a.alerter]));
  const plan = planAlerts({
    told: await log.told(),
    states,
    canonical,
    recipients: alerters.map((a) => ({ id: a.alerter.id, policy: a.policy })),
    now: now().toISOString(),
    urls,
  });
  if (plan.remember.length > 0) await log.remember(plan.remember);

  const settled = await Promise.allSettled(
    plan.send.map(async ({ message, told }): Promise<AlertAttempt> => {
      const { subject, text } = renderAlert(message);
      const items = message.items.map((i) => `${i.kind}:${i.target ?? 'canonical'}`);
      let error: string | undefined;
      const alerter = byId.get(message.alerter);
      if (alerter === undefined) error = 'no such alerter';
      else {
        try {
          await alerter.send({ message, subject, text }, signal);
        } catch (e) {
          error = e instanceof AlertError ? e.detail : `the alerter failed: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      const attempt: AlertAttempt = {
        alerter: message.alerter,
        at: now().toISOString(),
        ok: error === undefined,
        subject,
        items,
        ...(error === undefined ? {} : { error: error.slice(0, 1000) }),
      };
      await log.record(attempt, error === undefined ? told : []);
      return attempt;
    }),
  );
  const attempts: AlertAttempt[] = [];
  for (const s of settled) {
    // Only the log can fail here (a send's failure is an attempt): the others were still recorded.
    if (s.status === 'rejected') throw s.reason instanceof Error ? s.reason : new Error(String(s.reason));
    attempts.push(s.value);
  }
  return { attempts, remembered: plan.remember.length };
}

/** dispatchAlerts over a finished check round (runCheckRound's outcome). */
export function dispatchRoundAlerts(
  outcome: RoundOutcome,
  options: Omit<DispatchOptions, 'states' | 'canonical'>,
): Promise<DispatchOutcome> {
  return dispatchAlerts({ ...options, states: outcome.states, canonical: outcome.canonical.record });
}

/** The dashboard's list of alerts sent (newest first), from the alert log. */
export async function alertViews(log: AlertLog, limit = 20): Promise<AlertView[]> {
  return (await log.attempts({ limit })).map((a) => ({
    at: a.at,
    channel: a.alerter,
    subject: a.subject,
    ok: a.ok,
    ...(a.error === undefined ? {} : { error: a.error }),
  }));
}
