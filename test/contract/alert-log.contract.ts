// The one contract every AlertLog adapter meets, run per adapter by alert-logs.test.ts.
import { describe, expect, it } from 'vitest';
import type { AlertAttempt, AlertLog, Told } from '../../src/ports/alert-log.ts';
import { MAX_ALERT_ATTEMPTS } from '../../src/ports/alert-log.ts';

export interface AlertLogHarness {
  /** A fresh, empty log. */
  open: () => AlertLog;
  /** The same log opened again (as after a restart), when the adapter persists. */
  reopen?: () => AlertLog;
}

const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

const told = (alerter: string, topic: string, minutes: number, kind: Told['kind'] = 'problem'): Told => ({
  alerter,
  topic,
  kind,
  state: 'unreachable',
  since: at(0),
  problemSince: at(0),
  at: at(minutes),
});

const attempt = (alerter: string, minutes: number, ok = true): AlertAttempt => ({
  alerter,
  at: at(minutes),
  ok,
  subject: '[Ferry] 镜像 m1：无法访问 / mirror m1: unreachable',
  items: ['problem:m1'],
  ...(ok ? {} : { error: 'answered HTTP 500' }),
});

const byKey = (list: Told[]): Told[] => [...list].sort((a, b) => `${a.alerter}/${a.topic}`.localeCompare(`${b.alerter}/${b.topic}`));

export function alertLogContract(name: string, harness: AlertLogHarness): void {
  describe(`alert log: ${name}`, () => {
    it('starts empty', async () => {
      const log = harness.open();
      expect(await log.told()).toEqual([]);
      expect(await log.attempts()).toEqual([]);
      await log.close();
    });

    it('keeps the last thing told per (alerter, topic), and every attempt newest first', async () => {
      const log = harness.open();
      await log.record(attempt('a', 0), [told('a', 'm1', 0), told('a', 'm2', 0)]);
      await log.record(attempt('b', 1, false), []);
      await log.record(attempt('a', 60), [told('a', 'm1', 60, 'repeat')]);
      await log.remember([{ alerter: 'b', topic: '#canonical', kind: 'baseline', canonical: null, since: at(0), at: at(61) }]);
      expect(byKey(await log.told())).toEqual(
        byKey([
          told('a', 'm1', 60, 'repeat'),
          told('a', 'm2', 0),
          { alerter: 'b', topic: '#canonical', kind: 'baseline', canonical: null, since: at(0), at: at(61) },
        ]),
      );
      expect(await log.attempts()).toEqual([attempt('a', 60), attempt('b', 1, false), attempt('a', 0)]);
      expect(await log.attempts({ alerter: 'b' })).toEqual([attempt('b', 1, false)]);
      expect(await log.attempts({ since: at(1), limit: 1 })).toEqual([attempt('a', 60)]);
      await log.close();
    });

    it('keeps at most MAX_ALERT_ATTEMPTS attempts', async () => {
      const log = harness.open();
      for (let i = 0; i < MAX_ALERT_ATTEMPTS + 3; i++) await log.record(attempt('a', i), []);
      const all = await log.attempts({ limit: 10_000 });
      expect(all).toHaveLength(MAX_ALERT_ATTEMPTS);
      expect(all[0]?.at).toBe(at(MAX_ALERT_ATTEMPTS + 2));
      expect(all.at(-1)?.at).toBe(at(3));
      await log.close();
    }, 30_000);

    it('hands out copies: changing what it returned changes nothing stored', async () => {
      const log = harness.open();
      await log.record(attempt('a', 0), [told('a', 'm1', 0)]);
      const [first] = await log.told();
      if (first !== undefined) first.state = 'healthy';
      expect((await log.told())[0]?.state).toBe('unreachable');
      await log.close();
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it('keeps everything across a restart', async () => {
        const log = harness.open();
        await log.record(attempt('a', 0), [told('a', 'm1', 0)]);
        await log.close();
        const again = reopen();
        expect(await again.told()).toEqual([told('a', 'm1', 0)]);
        expect(await again.attempts()).toEqual([attempt('a', 0)]);
        await again.close();
      });
    }
  });
}
