// Which alerts to send now, as a pure function of what each alerter was last told (the alert log),
// the targets' states, the canonical and the time: planAlerts(input).
// It compares what an alerter knows with how things are (level, not edge), so nothing depends on
// seeing a transition at the moment it happened: a round whose alerts failed, a crash between a
// round and its alerts, a restart, all end in the same messages the next time it runs, and what was
// delivered is never sent again.
// - A target in a problem state (unreachable, blocked, compromised; degraded when the alerter asks)
//   that the alerter was not told about, or was told a different problem about: `problem`.
// - The same problem, told at least `repeatEverySeconds` ago: `repeat` (0 never repeats).
// - A target out of its problem (or gone from the list) after a problem was told: `recovery`.
// - The canonical is another mirror than the one told (or none may be): `canonical`. An alerter
//   that was never told any canonical is not alerted about the first one; it is remembered.
// One message per alerter per run, its items worst first, so a checker that lost its network sends
// one message, not one per mirror.
import { ORIGIN_TARGET, SEVERITY, type Evidence, type Verdict } from './observation.ts';
import type { CanonicalRecord } from './choose-canonical.ts';
import type { TargetState } from './health-state.ts';

/** The topic of the canonical link in the log (target ids cannot start with '#'). */
export const CANONICAL_TOPIC = '#canonical';

/** Pieces of evidence kept per item (the worst first). */
export const MAX_EVIDENCE_PER_ITEM = 5;

export type AlertItemKind = 'problem' | 'repeat' | 'recovery' | 'canonical';

export interface AlertPolicy {
  /** A problem that lasts is told again this often, seconds; 0 never repeats. */
  repeatEverySeconds: number;
  /** `degraded` counts as a problem. */
  degraded: boolean;
}

/** An alerter, as the plan sees it: its id (the log's key) and its policy. */
export interface AlertRecipient {
  id: string;
  policy: AlertPolicy;
}

/** What one alerter was last told about one topic (a target, or the canonical), as the log keeps it. */
export interface Told {
  alerter: string;
  /** A target id, or CANONICAL_TOPIC. */
  topic: string;
  /** `baseline`: remembered without a message (the first canonical an alerter sees). */
  kind: AlertItemKind | 'baseline';
  /** Target topics: the state told. */
  state?: Verdict;
  /** Target topics: when the target entered `state`; the canonical: when that mirror became canonical. */
  since: string;
  /** Target topics: when the problem began (it may have changed state since: unreachable, then blocked). */
  problemSince?: string;
  /** The canonical topic: the mirror told, null when none could be canonical. */
  canonical?: string | null;
  /** When it was told (ISO 8601). */
  at: string;
}

export interface AlertItem {
  kind: AlertItemKind;
  /** The mirror id or ORIGIN_TARGET (absent for `canonical`). */
  target?: string;
  /** The target's address, when known. */
  url?: string;
  /** problem, repeat: the state now; recovery: the state now, absent when the target is no longer checked. */
  state?: Verdict;
  /** problem: the other problem told before (unreachable, now blocked); recovery: the problem that ended. */
  previous?: Verdict;
  /** When the target entered `state` (or the canonical became canonical). */
  since: string;
  /** repeat, recovery, a changed problem: when the problem began. */
  problemSince?: string;
  /** The last round's evidence, worst first, at most MAX_EVIDENCE_PER_ITEM. */
  evidence: Evidence[];
  /** Countries a `blocked` target is blocked in. */
  blockedIn: string[];
  /** canonical: the mirror told before (null: none could be; absent: never told) and the new one. */
  from?: string | null;
  to?: string | null;
  /** canonical: why it moved. */
  reason?: string;
}

/** The canonical now, named in every message. */
export interface CanonicalNow {
  /** null when no mirror may be canonical. */
  id: string | null;
  url?: string;
  since: string;
  reason: string;
}

export interface AlertMessage {
  /** The alerter it is for. */
  alerter: string;
  /** When it was planned (ISO 8601). */
  at: string;
  /** Worst first: problems (by severity), the canonical, repeats, recoveries. */
  items: AlertItem[];
  canonical?: CanonicalNow;
}

export interface PlannedAlert {
  message: AlertMessage;
  /** What the log records once the message is delivered (one per item). */
  told: Told[];
}

export interface AlertPlan {
  send: PlannedAlert[];
  /** Recorded without sending anything (the first canonical an alerter sees). */
  remember: Told[];
}

export interface AlertPlanInput {
  /** The alert log: the last thing told per (alerter, topic). */
  told: readonly Told[];
  /** Every checked target's state (a target absent here is no longer checked). */
  states: readonly TargetState[];
  /** The canonical as recorded; undefined before the first round. */
  canonical: CanonicalRecord | undefined;
  recipients: readonly AlertRecipient[];
  /** ISO 8601. */
  now: string;
  /** Target id -> the address readers use, for the text. */
  urls?: Readonly<Record<string, string>>;
}

const PROBLEMS: ReadonlySet<Verdict> = new Set(['unreachable', 'blocked', 'compromised']);

export function isProblem(state: Verdict, policy: AlertPolicy): boolean {
  return PROBLEMS.has(state) || (policy.degraded && state === 'degraded');
}

const KIND_ORDER: Readonly<Record<AlertItemKind, number>> = { problem: 0, canonical: 1, repeat: 2, recovery: 3 };

export function planAlerts(input: AlertPlanInput): AlertPlan {
  const { told, states, canonical, recipients, now, urls = {} } = input;
  const nowMs = Date.parse(now);
  const toldBy = new Map<string, Told>();
  for (const t of told) toldBy.set(`${t.alerter}\0${t.topic}`, t);
  const stateOf = new Map(states.map((s) => [s.target, s]));
  const url = (id: string | undefined): { url?: string } => {
    const u = id === undefined ? undefined : urls[id];
    return u === undefined ? {} : { url: u };
  };
  const canonicalNow: CanonicalNow | undefined =
    canonical === undefined
      ? undefined
      : { id: canonical.id ?? null, ...url(canonical.id), since: canonical.since, reason: canonical.reason };

  const send: PlannedAlert[] = [];
  const remember: Told[] = [];
  for (const { id: alerter, policy } of recipients) {
    const items: AlertItem[] = [];
    const toldNow: Told[] = [];
    const add = (item: AlertItem, record: Told): void => {
      items.push(item);
      toldNow.push(record);
    };

    // Targets now checked, and targets told about that are no longer checked.
    const topics = new Set<string>(states.map((s) => s.target));
    for (const t of told) if (t.alerter === alerter && t.topic !== CANONICAL_TOPIC) topics.add(t.topic);
    for (const target of [...topics].sort()) {
      const last = toldBy.get(`${alerter}\0${target}`);
      const open = last !== undefined && last.kind !== 'recovery' && last.state !== undefined ? last : undefined;
      const s = stateOf.get(target);
      const base: Pick<AlertItem, 'target' | 'url' | 'blockedIn' | 'evidence'> = { target, ...url(target), blockedIn: [], evidence: [] };
      if (s === undefined || !isProblem(s.state, policy)) {
        if (open?.state === undefined) continue;
        const item: AlertItem = {
          ...base,
          kind: 'recovery',
          previous: open.state,
          since: s?.since ?? now,
          problemSince: open.problemSince ?? open.since,
          ...(s === undefined ? {} : { state: s.state, evidence: worstEvidence(s.evidence) }),
        };
        add(item, { alerter, topic: target, kind: 'recovery', ...(s === undefined ? {} : { state: s.state }), since: item.since, at: now });
        continue;
      }
      const detail = { state: s.state, since: s.since, evidence: worstEvidence(s.evidence), blockedIn: [...s.blockedIn] };
      if (open === undefined || open.state !== s.state || open.since !== s.since) {
        const changed = open !== undefined && open.state !== s.state;
        const problemSince = changed ? (open.problemSince ?? open.since) : s.since;
        add(
          { ...base, ...detail, kind: 'problem', ...(changed ? { previous: open.state, problemSince } : {}) },
          { alerter, topic: target, kind: 'problem', state: s.state, since: s.since, problemSince, at: now },
        );
        continue;
      }
      const every = policy.repeatEverySeconds * 1000;
      if (every > 0 && nowMs - Date.parse(open.at) >= every) {
        const problemSince = open.problemSince ?? open.since;
        add(
          { ...base, ...detail, kind: 'repeat', problemSince },
          { alerter, topic: target, kind: 'repeat', state: s.state, since: s.since, problemSince, at: now },
        );
      }
    }

    if (canonical !== undefined) {
      const id = canonical.id ?? null;
      const last = toldBy.get(`${alerter}\0${CANONICAL_TOPIC}`);
      const record: Told = { alerter, topic: CANONICAL_TOPIC, kind: 'canonical', canonical: id, since: canonical.since, at: now };
      if (last === undefined && id !== null) {
        remember.push({ ...record, kind: 'baseline' });
      } else if (last === undefined || (last.canonical ?? null) !== id) {
        add(
          {
            kind: 'canonical',
            ...url(canonical.id),
            since: canonical.since,
            evidence: [],
            blockedIn: [],
            ...(last === undefined ? {} : { from: last.canonical ?? null }),
            to: id,
            reason: canonical.reason,
          },
          record,
        );
      }
    }

    if (items.length === 0) continue;
    const order = items
      .map((item, i) => ({ item, told: toldNow[i], i }))
      .sort(
        (a, b) =>
          KIND_ORDER[a.item.kind] - KIND_ORDER[b.item.kind] ||
          severity(b.item) - severity(a.item) ||
          originFirst(a.item) - originFirst(b.item) ||
          a.i - b.i,
      );
    send.push({
      message: { alerter, at: now, items: order.map((o) => o.item), ...(canonicalNow === undefined ? {} : { canonical: canonicalNow }) },
      told: order.flatMap((o) => (o.told === undefined ? [] : [o.told])),
    });
  }
  return { send, remember };
}

function severity(item: AlertItem): number {
  const s = item.kind === 'recovery' ? item.previous : item.state;
  return s === undefined ? 0 : SEVERITY[s];
}

function originFirst(item: AlertItem): number {
  return item.target === ORIGIN_TARGET ? 0 : 1;
}

function worstEvidence(evidence: readonly Evidence[]): Evidence[] {
  return evidence
    .filter((e) => e.points !== 'healthy')
    .map((e, i) => ({ e, i }))
    .sort(
      (a, b) => SEVERITY[b.e.points] - SEVERITY[a.e.points] || Number(b.e.confirmed === true) - Number(a.e.confirmed === true) || a.i - b.i,
    )
    .slice(0, MAX_EVIDENCE_PER_ITEM)
    .map(({ e }) => ({ ...e }));
}
