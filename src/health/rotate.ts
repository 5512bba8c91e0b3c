// After a check round: make what readers are sent to follow what the checker decided. When the
// canonical moved, or a mirror was found compromised, the snapshot is rebuilt and re-signed with
// the new canonical and mirror list and republished to every target (the same path as any
// republish, so DNSLink and other pointers move with it), and the edge stops asking a compromised
// mirror at once. Compares with what the current snapshot signed, so a run that crashed or failed
// is simply tried again after the next round.
import { choosePublish, publishDrift, type PublishChoice, type SignedChoice } from '../core/health/publish-choice.ts';
import type { TargetState } from '../core/health/health-state.ts';
import type { MirrorRef } from '../core/model.ts';
import type { HealthStore } from '../ports/health-store.ts';

export interface RotationDeps {
  /** The public mirror list as configured (with URLs), in any order. */
  mirrors: readonly MirrorRef[];
  store: HealthStore;
  /** What the current snapshot signed, or undefined when there is none. */
  readSigned(): Promise<SignedChoice | undefined>;
  /** Rebuild, re-sign and republish (the republisher asks `currentChoice` for what to sign). */
  republish(reason: string): Promise<{ outcome: string; version?: number; error?: string }>;
  /** Tell the edge to stop asking a mirror (compromised), or to ask it again (cleared). */
  exclusions?: {
    exclude(id: string, reason: string): Promise<void> | void;
    include(id: string): Promise<void> | void;
    /** Who is excluded and why (a maintainer's pause is kept; only the checker's own are lifted). */
    list(): ReadonlyArray<{ id: string; reason: string }> | Promise<ReadonlyArray<{ id: string; reason: string }>>;
  };
}

export interface RotationResult {
  /** Why a republish ran, or undefined when the snapshot already matched. */
  republished?: { reason: string; outcome: string; version?: number; error?: string };
  excluded: string[];
  included: string[];
}

/** The canonical and mirror list the next snapshot should sign, from the health store. */
export async function currentChoice(store: HealthStore, mirrors: readonly MirrorRef[]): Promise<PublishChoice> {
  const [canonical, states] = await Promise.all([store.loadCanonical(), store.loadStates()]);
  return choosePublish(mirrors, canonical?.id, (id) => states.get(id)?.state);
}

/** Exclusions the checker made start with this; others (a maintainer's pause) are never lifted here. */
export const CHECKER_REASON = 'health checker: ';

export async function rotate(deps: RotationDeps): Promise<RotationResult> {
  const states = await deps.store.loadStates();
  const result: RotationResult = { excluded: [], included: [] };
  if (deps.exclusions !== undefined) await syncExclusions(deps.exclusions, states, result);
  const choice = await currentChoice(deps.store, deps.mirrors);
  const drift = publishDrift(await deps.readSigned(), choice);
  if (drift !== undefined) {
    const run = await deps.republish(drift);
    result.republished = { reason: drift, ...run };
  }
  return result;
}

async function syncExclusions(
  exclusions: NonNullable<RotationDeps['exclusions']>,
  states: ReadonlyMap<string, TargetState>,
  result: RotationResult,
): Promise<void> {
  const listed = await exclusions.list();
  const excluded = new Set(listed.map((e) => e.id));
  for (const [id, s] of states) {
    if (s.state === 'compromised' && !excluded.has(id)) {
      const why = s.evidence.find((e) => e.points === 'compromised')?.message ?? 'served bytes the signature does not cover';
      await exclusions.exclude(id, `${CHECKER_REASON}compromised since ${s.since}: ${why}`);
      result.excluded.push(id);
    }
  }
  for (const { id, reason } of listed) {
    const s = states.get(id);
    if (reason.startsWith(CHECKER_REASON) && s?.state !== 'compromised') {
      await exclusions.include(id);
      result.included.push(id);
    }
  }
}
