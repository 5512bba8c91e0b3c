// The health store in memory: `ferry check` without --state, and tests. Same bounds and the same
// newest-first answers as the SQLite store (the contract suite runs both).
import type { CanonicalChange, CanonicalRecord } from '../../core/health/choose-canonical.ts';
import type { ProbeResult } from '../../core/health/observation.ts';
import type { TargetState, Transition } from '../../core/health/health-state.ts';
import { DEFAULT_RETENTION, type HealthStore, type HistoryQuery, type Retention } from '../../ports/health-store.ts';

const MAX_EVENTS = 20_000;

export function createMemoryHealthStore({ retention = {} }: { retention?: Partial<Retention> } = {}): HealthStore {
  const keep: Retention = { ...DEFAULT_RETENTION, ...retention };
  let probes: ProbeResult[] = [];
  const states = new Map<string, TargetState>();
  let transitions: Transition[] = [];
  let changes: CanonicalChange[] = [];
  let canonical: CanonicalRecord | undefined;

  const newestFirst = <T extends { at: string }>(list: readonly T[], q: HistoryQuery, target: (t: T) => string | undefined): T[] =>
    list
      .map((item, i) => ({ item, i }))
      .filter(({ item }) => (q.target === undefined || target(item) === q.target) && (q.since === undefined || item.at >= q.since))
      .sort((a, b) => (a.item.at < b.item.at ? 1 : a.item.at > b.item.at ? -1 : b.i - a.i))
      .slice(0, Math.max(1, Math.min(q.limit ?? 100, 10_000)))
      .map(({ item }) => structuredClone(item));

  const prune = (now: string): void => {
    const cutoff = new Date(Date.parse(now) - keep.days * 86_400_000).toISOString();
    probes = probes.filter((p) => p.at >= cutoff).slice(-keep.maxProbes);
    transitions = transitions.slice(-MAX_EVENTS);
    changes = changes.slice(-MAX_EVENTS);
  };

  return {
    async recordRound(round) {
      probes.push(...structuredClone(round.results));
      for (const s of round.states) states.set(s.target, structuredClone(s));
      transitions.push(...structuredClone(round.transitions));
      if (round.canonical !== undefined) {
        const { record, ...change } = round.canonical;
        changes.push({ ...change });
        canonical = { ...record };
      }
      prune(round.finishedAt);
    },
    async recordResults(results) {
      probes.push(...structuredClone(results));
    },
    async latestResults(since) {
      const latest = new Map<string, ProbeResult>();
      for (const p of probes) if (p.at >= since) latest.set(`${p.target}\0${p.vantage.id}`, p);
      return [...latest.values()]
        .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : a.vantage.id < b.vantage.id ? -1 : 1))
        .map((p) => structuredClone(p));
    },
    async loadStates() {
      return new Map([...states].map(([k, v]) => [k, structuredClone(v)]));
    },
    async forgetState(target) {
      states.delete(target);
    },
    async loadCanonical() {
      return canonical === undefined ? undefined : { ...canonical };
    },
    async history(q = {}) {
      return newestFirst(probes, q, (p) => p.target);
    },
    async transitions(q = {}) {
      return newestFirst(transitions, q, (t) => t.target);
    },
    async canonicalChanges(q = {}) {
      return newestFirst(changes, q, () => undefined);
    },
    async close() {},
  };
}
