// The health checker in `ferry serve`: a round every `health.every` seconds on a node-cron
// schedule (rounds never overlap: one still going when the next is due makes that one skip),
// then whatever follows a round (rotation, alerts). A round that fails is logged and the next
// one runs as usual; nothing a round decided is lost, the store records it in one step.
import cron from 'node-cron';
import { healthCron, type HealthConfig } from '../core/health-config.ts';
import { ConfigError } from '../core/config-error.ts';
import type { RoundOutcome } from '../health/check-round.ts';

/** The round number at `now` for rounds every `everySeconds`: the same across restarts, so the prober's rotating sample keeps turning. */
export function roundNumber(now: Date, everySeconds: number): number {
  return Math.floor(now.getTime() / (everySeconds * 1000));
}

export interface HealthJob {
  /** Run a round now (also what the schedule calls); resolves when it and what follows are done. */
  runNow(): Promise<RoundOutcome | undefined>;
  stop(): Promise<void>;
}

export interface HealthJobOptions {
  health: HealthConfig;
  round(round: number, signal: AbortSignal): Promise<RoundOutcome>;
  /** After each round: rotation, alerts. Its failure is logged, never stops the schedule. */
  after?(outcome: RoundOutcome, signal: AbortSignal): Promise<void>;
  log(line: string): void;
  now?: () => Date;
}

export function scheduleHealth(opts: HealthJobOptions): HealthJob {
  const expression = healthCron(opts.health.every);
  if (expression === undefined) throw new ConfigError(`health.every: ${opts.health.every} seconds cannot be scheduled evenly`);
  const now = opts.now ?? (() => new Date());
  const stopping = new AbortController();
  let running: Promise<RoundOutcome | undefined> | undefined;

  const once = async (): Promise<RoundOutcome | undefined> => {
    const started = now();
    try {
      const outcome = await opts.round(roundNumber(started, opts.health.every), stopping.signal);
      const changed = outcome.transitions.map((t) => `${t.target} ${t.from ?? 'new'} -> ${t.to}`);
      opts.log(
        `health round: ${outcome.states.length} targets${changed.length > 0 ? `; ${changed.join(', ')}` : ''}; canonical ${outcome.canonical.id ?? 'none'}${outcome.canonical.changed ? ` (moved: ${outcome.canonical.reason})` : ''}`,
      );
      try {
        await opts.after?.(outcome, stopping.signal);
      } catch (e) {
        opts.log(`after the health round: ${(e as Error).message}`);
      }
      return outcome;
    } catch (e) {
      if (!stopping.signal.aborted) opts.log(`health round failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  const runNow = (): Promise<RoundOutcome | undefined> => {
    running ??= once().finally(() => {
      running = undefined;
    });
    return running;
  };
  const task = cron.schedule(
    expression,
    async () => {
      if (running !== undefined) {
        opts.log('health round skipped: the previous one is still running');
        return;
      }
      await runNow();
    },
    { name: 'health', noOverlap: true },
  );
  return {
    runNow,
    stop: async () => {
      stopping.abort(new Error('ferry is stopping'));
      await task.stop();
      await task.destroy();
      await running;
    },
  };
}
