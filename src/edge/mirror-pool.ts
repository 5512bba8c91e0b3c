// The edge's mirror pool: every mirror's state (pure transitions in pool-state.ts), the order to ask
// them in, and hedged requests: ask the best mirror; if it has not answered within its hedge delay
// (or failed), ask the next one too; the first answer that passes `attempt` (which verifies) wins
// and the others are aborted. Works for any kind: the pool only sees the Mirror port.
import type { Mirror } from '../ports/mirror.ts';
import { MirrorError } from '../ports/mirror-error.ts';
import {
  DEFAULT_POOL_POLICY,
  hedgeDelayMs,
  initialPoolState,
  nextPoolState,
  orderMirrors,
  type HedgePolicy,
  type Observation,
  type PoolHealth,
  type PoolPolicy,
  type PoolState,
} from './pool-state.ts';

/** Thrown by an attempt to record something other than a plain failure. */
export class AttemptError extends Error {
  override name = 'AttemptError';
  constructor(readonly observation: Exclude<Observation, { type: 'success' | 'cleared' }>) {
    super(observation.error);
  }
}

/** No mirror delivered; lists what each one did. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(
    readonly what: string,
    readonly reasons: readonly string[],
    /** The race's deadline passed (rather than every mirror failing). */
    readonly timedOut = false,
  ) {
    super(`no mirror delivered ${what}${reasons.length ? `: ${reasons.join('; ')}` : ' (no usable mirror)'}`);
  }
}

export interface MirrorStatus {
  id: string;
  kind: string;
  location: string;
  priority: number;
  state: PoolHealth;
  latencyEwmaMs: number | null;
  failures: number;
  consecutiveFailures: number;
  successes: number;
  lastError: string | null;
  compromisedReason: string | null;
  /** Why it is not asked at all (the health checker or a maintainer excluded it), or null. */
  excluded: string | null;
}

export interface RaceOptions {
  /** Overall deadline for the whole race, ms. */
  deadlineMs: number;
  /** Which mirrors may be asked (default: every one, in the pool's order). */
  only?: (mirror: Mirror) => boolean;
}

export interface RaceWin<T> {
  value: T;
  mirror: Mirror;
}

export interface MirrorPool {
  readonly mirrors: readonly Mirror[];
  /** Mirrors in the order they would be asked (compromised ones last, excluded ones never). */
  ordered(): Mirror[];
  observe(id: string, observation: Observation): void;
  /** Lift `compromised` (and every counter) for a mirror at once. */
  clear(id: string): void;
  status(): MirrorStatus[];
  state(id: string): PoolState | undefined;
  race<T>(attempt: (mirror: Mirror, signal: AbortSignal) => Promise<T>, options: RaceOptions): Promise<RaceWin<T>>;
}

export interface MirrorPoolOptions {
  mirrors: readonly Mirror[];
  policy?: PoolPolicy;
  hedge?: HedgePolicy;
  /** Monotonic milliseconds, for latencies. */
  clock?: () => number;
  onStateChange?: (mirror: Mirror, state: PoolState, observation: Observation) => void;
  /** Why a mirror must not be asked at all, if it must not (read at every decision: honoured at once). */
  exclusion?: (id: string) => string | undefined;
}

/** Pause between the first and the second round of a race, ms. */
const SECOND_ROUND_PAUSE_MS = 150;

export const DEFAULT_HEDGE: HedgePolicy = { initialMs: 100, minMs: 50, maxMs: 500 };

export function createMirrorPool({
  mirrors,
  policy = DEFAULT_POOL_POLICY,
  hedge = DEFAULT_HEDGE,
  clock = () => performance.now(),
  onStateChange,
  exclusion = () => undefined,
}: MirrorPoolOptions): MirrorPool {
  const ids = new Set<string>();
  for (const m of mirrors) {
    if (ids.has(m.id)) throw new Error(`mirror id '${m.id}' is used twice`);
    ids.add(m.id);
  }
  const states = new Map<string, PoolState>(mirrors.map((m) => [m.id, initialPoolState()]));
  const byId = new Map(mirrors.map((m) => [m.id, m]));

  const stateOf = (id: string): PoolState => states.get(id) ?? initialPoolState();

  const observe = (id: string, observation: Observation): void => {
    const prev = states.get(id);
    const mirror = byId.get(id);
    if (prev === undefined || mirror === undefined) return;
    const next = nextPoolState(prev, observation, policy);
    states.set(id, next);
    if (onStateChange && (next.health !== prev.health || observation.type !== 'success')) {
      onStateChange(mirror, next, observation);
    }
  };

  const ordered = (): Mirror[] =>
    orderMirrors(
      mirrors
        .filter((m) => exclusion(m.id) === undefined)
        .map((m) => ({ id: m.id, priority: m.priority, state: stateOf(m.id), mirror: m })),
    ).map((r) => r.mirror);

  const race = <T>(attempt: (mirror: Mirror, signal: AbortSignal) => Promise<T>, options: RaceOptions): Promise<RaceWin<T>> => {
    const round = ordered().filter((m) => options.only?.(m) ?? true);
    // Two rounds: mirrors change state (one that failed a moment ago may answer now), so after
    // the first round is out, and a short pause, each mirror whose first attempt is over is asked once more.
    const candidates = [...round, ...round];
    return new Promise<RaceWin<T>>((resolve, reject) => {
      if (candidates.length === 0) {
        reject(new UnavailableError('anything', []));
        return;
      }
      const controllers: AbortController[] = [];
      const reasons: string[] = [];
      let next = 0;
      let running = 0;
      let settled = false;
      let won = false;
      let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
      const busy = new Set<string>();
      let secondRoundAt: number | undefined;
      const finish = (winner?: AbortController): void => {
        settled = true;
        clearTimeout(deadline);
        if (hedgeTimer !== undefined) clearTimeout(hedgeTimer);
        for (const c of controllers) if (c !== winner) c.abort();
      };
      const deadline = setTimeout(() => {
        if (settled) return;
        finish();
        reject(new UnavailableError('in time', [...reasons, `deadline of ${options.deadlineMs} ms passed`], true));
      }, options.deadlineMs);

      const launch = (): void => {
        if (hedgeTimer !== undefined) clearTimeout(hedgeTimer);
        // Excluded while the race ran, or (second round) still busy with its first attempt: not asked.
        const skip = (m: Mirror | undefined): boolean =>
          m !== undefined && (exclusion(m.id) !== undefined || (next >= round.length && busy.has(m.id)));
        while (next < candidates.length && skip(candidates[next])) next += 1;
        if (!settled && next >= round.length && next < candidates.length) {
          secondRoundAt ??= clock() + SECOND_ROUND_PAUSE_MS;
          const wait = secondRoundAt - clock();
          if (wait > 0) {
            hedgeTimer = setTimeout(launch, wait);
            return;
          }
        }
        const mirror = candidates[next];
        if (settled || mirror === undefined) {
          if (!settled && running === 0) {
            finish();
            reject(new UnavailableError('it', reasons));
          }
          return;
        }
        next += 1;
        running += 1;
        busy.add(mirror.id);
        const controller = new AbortController();
        controllers.push(controller);
        const t0 = clock();
        if (next < candidates.length) hedgeTimer = setTimeout(launch, hedgeDelayMs(stateOf(mirror.id), hedge));
        attempt(mirror, controller.signal).then(
          (value) => {
            running -= 1;
            busy.delete(mirror.id);
            if (settled) return;
            observe(mirror.id, { type: 'success', latencyMs: clock() - t0 });
            won = true;
            finish(controller);
            resolve({ value, mirror });
          },
          (e: unknown) => {
            running -= 1;
            busy.delete(mirror.id);
            const ownMs = clock() - t0;
            const observation = toObservation(e, won, Math.round(ownMs));
            // A hedge that was cancelled before it had its own fair time says nothing about its mirror.
            const neutral = won && e instanceof MirrorError && e.problem === 'aborted' && ownMs < hedgeDelayMs(stateOf(mirror.id), hedge);
            if (!neutral) observe(mirror.id, observation);
            if (settled) return;
            reasons.push(`${mirror.id}: ${observation.error}`);
            if (next < candidates.length) launch();
            else if (running === 0) {
              finish();
              reject(new UnavailableError('it', reasons));
            }
          },
        );
      };
      launch();
    });
  };

  return {
    mirrors,
    ordered,
    observe,
    clear: (id) => observe(id, { type: 'cleared' }),
    state: (id) => states.get(id),
    status: () =>
      mirrors.map((m) => {
        const s = stateOf(m.id);
        return {
          id: m.id,
          kind: m.kind,
          location: m.location,
          priority: m.priority,
          state: s.health,
          latencyEwmaMs: s.latencyEwmaMs === undefined ? null : Math.round(s.latencyEwmaMs * 10) / 10,
          failures: s.failures,
          consecutiveFailures: s.consecutiveFailures,
          successes: s.successes,
          lastError: s.lastError ?? null,
          compromisedReason: s.compromisedReason ?? null,
          excluded: exclusion(m.id) ?? null,
        };
      }),
    race,
  };
}

/** What an attempt's error says about the mirror. A loser aborted after another mirror won was slow. */
function toObservation(e: unknown, lostToWinner: boolean, elapsedMs: number): Exclude<Observation, { type: 'success' | 'cleared' }> {
  if (e instanceof AttemptError) return e.observation;
  if (e instanceof MirrorError) {
    if (e.problem === 'aborted') {
      return lostToWinner
        ? { type: 'failure', error: `no verified answer within ${elapsedMs} ms; another mirror answered first` }
        : { type: 'unreachable', error: `no answer within ${elapsedMs} ms (deadline)` };
    }
    if (e.problem === 'unreachable' || e.problem === 'timeout') return { type: 'unreachable', error: e.message };
    return { type: 'failure', error: e.message };
  }
  return { type: 'failure', error: e instanceof Error ? e.message : String(e) };
}
