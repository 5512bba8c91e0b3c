// The alert log in memory: tests, and `ferry check` without --state. Same bounds and the same
// newest-first answers as the SQLite log (the contract suite runs both).
import type { AlertAttempt, AlertLog, AttemptQuery, Told } from '../../ports/alert-log.ts';
import { MAX_ALERT_ATTEMPTS } from '../../ports/alert-log.ts';

export function createMemoryAlertLog(): AlertLog {
  const told = new Map<string, Told>();
  let attempts: AlertAttempt[] = [];
  const put = (list: readonly Told[]): void => {
    for (const t of list) told.set(`${t.alerter}\0${t.topic}`, structuredClone(t));
  };
  return {
    async told() {
      return [...told.values()].map((t) => structuredClone(t));
    },
    async record(attempt, list) {
      attempts.push(structuredClone(attempt));
      attempts = attempts.slice(-MAX_ALERT_ATTEMPTS);
      put(list);
    },
    async remember(list) {
      put(list);
    },
    async attempts(q: AttemptQuery = {}) {
      return attempts
        .map((a, i) => ({ a, i }))
        .filter(({ a }) => (q.alerter === undefined || a.alerter === q.alerter) && (q.since === undefined || a.at >= q.since))
        .sort((x, y) => (x.a.at < y.a.at ? 1 : x.a.at > y.a.at ? -1 : y.i - x.i))
        .slice(0, Math.max(1, Math.min(q.limit ?? 100, 10_000)))
        .map(({ a }) => structuredClone(a));
    },
    async close() {},
  };
}
