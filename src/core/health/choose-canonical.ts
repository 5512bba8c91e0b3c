// Which mirror the canonical link (rel=canonical, feed links, the top of the mirror list) points
// to. Pure: chooseCanonical(candidates, current, policy, now).
// - Never a compromised, blocked or paused mirror, nor one readers cannot open (no URL).
// - A canonical that went bad (unreachable, blocked, compromised, paused, gone) is left at once.
// - A healthy canonical stays; it gives way to a better-priority mirror only when both the last
//   change and that mirror's recovery are at least `cooldownMs` old, so one good round never
//   swings the link back and forth.
import type { Verdict } from './observation.ts';

export interface CanonicalCandidate {
  id: string;
  /** Lower is preferred (the mirror list's priority). */
  priority: number;
  /** The address readers open; mirrors without one (a folder, a KV prefix) are never canonical. */
  url?: string;
  state: Verdict;
  /** When it entered that state (ISO 8601). */
  since: string;
  /** Paused by a maintainer. */
  paused?: boolean;
}

export interface CurrentCanonical {
  id: string;
  /** When it became canonical (ISO 8601). */
  since: string;
}

/** The canonical as recorded: which mirror, since when, why. */
export interface CanonicalRecord {
  /** Mirror id, or undefined when no mirror could be canonical. */
  id: string | undefined;
  since: string;
  reason: string;
}

/** One move of the canonical link, for the history. */
export interface CanonicalChange {
  from: string | undefined;
  to: string | undefined;
  at: string;
  reason: string;
}

export interface CanonicalPolicy {
  /** Least time between two moves that are not forced by the canonical going bad, ms. */
  cooldownMs: number;
}

export interface CanonicalChoice {
  /** The chosen mirror, or undefined when no mirror may be canonical. */
  id: string | undefined;
  changed: boolean;
  /** Why, in words for the maintainers and the alert. */
  reason: string;
}

const NEVER: ReadonlySet<Verdict> = new Set(['compromised', 'blocked']);

export function chooseCanonical(
  candidates: readonly CanonicalCandidate[],
  current: CurrentCanonical | undefined,
  policy: CanonicalPolicy,
  now: Date,
): CanonicalChoice {
  const t = now.getTime();
  const usable = candidates
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.url !== undefined && c.paused !== true && !NEVER.has(c.state))
    .sort((a, b) => a.c.priority - b.c.priority || a.i - b.i)
    .map(({ c }) => c);
  const inState = (s: Verdict): CanonicalCandidate[] => usable.filter((c) => c.state === s);
  const best = inState('healthy')[0] ?? inState('degraded')[0];
  const cur = current === undefined ? undefined : candidates.find((c) => c.id === current.id);
  const choose = (id: string | undefined, reason: string): CanonicalChoice => ({ id, changed: id !== current?.id, reason });
  const old = (iso: string): boolean => t - Date.parse(iso) >= policy.cooldownMs;

  if (cur === undefined || current === undefined || !usable.includes(cur)) {
    const why =
      cur === undefined || current === undefined
        ? current === undefined
          ? 'no canonical yet'
          : `'${current.id}' is no longer in the mirror list`
        : cur.paused === true
          ? `'${cur.id}' was paused by a maintainer`
          : cur.url === undefined
            ? `'${cur.id}' has no address readers can open`
            : `'${cur.id}' is ${cur.state}`;
    if (best !== undefined) return choose(best.id, `${why}; '${best.id}' is ${best.state} (priority ${best.priority})`);
    const fallback = usable[0];
    if (fallback !== undefined)
      return choose(fallback.id, `${why}; no healthy mirror, '${fallback.id}' is the best left (${fallback.state})`);
    return choose(undefined, `${why}; no mirror may be canonical (all are compromised, blocked, paused or without an address)`);
  }
  if (cur.state === 'unreachable') {
    if (best !== undefined) return choose(best.id, `'${cur.id}' is unreachable; '${best.id}' is ${best.state} (priority ${best.priority})`);
    return choose(cur.id, `'${cur.id}' is unreachable, but no other mirror is better`);
  }
  // The current one works (healthy or degraded). Move only for something better, after the cooldown.
  if (best !== undefined && best.id !== cur.id && old(current.since) && old(best.since)) {
    if (cur.state === 'degraded' && best.state === 'healthy') {
      return choose(best.id, `'${cur.id}' is degraded; '${best.id}' has been healthy since ${best.since}`);
    }
    if (best.state === cur.state && best.priority < cur.priority) {
      return choose(
        best.id,
        `'${best.id}' (priority ${best.priority}) has been ${best.state} since ${best.since}; back to it from '${cur.id}'`,
      );
    }
  }
  return choose(cur.id, `'${cur.id}' is ${cur.state}`);
}
