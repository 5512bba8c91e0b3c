// Compromised marks, shared through the edge-state store (KV on Workers): once any isolate or
// process caught a mirror serving bad bytes, every other one skips it too, until the health
// checker clears it. Loaded once before the first slow-path request, saved when they change.
import type { EdgeStateStore } from '../ports/edge-state.ts';
import type { Observation } from './pool-state.ts';
import type { MirrorPool } from './mirror-pool.ts';

export interface CompromisedMarks {
  /** Feed every pool observation here: a new verdict makes the marks due for saving. */
  observed(obs: Observation): void;
  /** Apply the marks other edges recorded (once; later calls wait for the first). */
  load(pool: MirrorPool): Promise<void>;
  /** Save the marks if they changed; the returned work is for the runtime to keep alive. */
  flush(pool: MirrorPool): Promise<void> | undefined;
}

export function createCompromisedMarks(store: EdgeStateStore): CompromisedMarks {
  let dirty = false;
  let applying = false;
  let loaded: Promise<void> | undefined;
  return {
    observed(obs) {
      if (!applying && (obs.type === 'compromised' || obs.type === 'cleared')) dirty = true;
    },
    load: (pool) =>
      (loaded ??= store.loadCompromised().then(
        (marks) => {
          applying = true;
          try {
            for (const [id, reason] of Object.entries(marks)) {
              if (pool.state(id) !== undefined && pool.state(id)?.health !== 'compromised') {
                pool.observe(id, { type: 'compromised', error: `${reason} (recorded by another edge)` });
              }
            }
          } finally {
            applying = false;
          }
        },
        () => undefined,
      )),
    flush(pool) {
      if (!dirty) return undefined;
      dirty = false;
      const marks = Object.fromEntries(
        pool
          .status()
          .filter((m) => m.state === 'compromised')
          .map((m) => [m.id, m.compromisedReason ?? 'served bytes that fail verification']),
      );
      return store.saveCompromised(marks);
    },
  };
}
