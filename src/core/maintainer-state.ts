// What maintainers decided by hand, kept apart from what the checker measures: mirrors they paused,
// held-back posts they rejected, and the history of every action (who, when, what came of it),
// bounded. Plain data; parsed from unknown, never cast.
import { isRecord } from './is-record.ts';

export interface MaintainerAction {
  at: string;
  who: string;
  action: string;
  result: string;
}

export interface MaintainerState {
  /** Mirror id -> who paused it and when. */
  paused: Record<string, { who: string; at: string }>;
  /** Post id -> the content hash a maintainer rejected (the published version stays). */
  rejected: Record<string, string>;
  /** Newest last, at most MAX_ACTIONS. */
  actions: MaintainerAction[];
}

export const MAX_ACTIONS = 500;

export function emptyMaintainerState(): MaintainerState {
  return { paused: {}, rejected: {}, actions: [] };
}

export function withAction(state: MaintainerState, action: MaintainerAction): MaintainerState {
  return { ...state, actions: [...state.actions, action].slice(-MAX_ACTIONS) };
}

export function parseMaintainerState(raw: unknown): MaintainerState {
  const state = emptyMaintainerState();
  if (!isRecord(raw)) return state;
  if (isRecord(raw.paused)) {
    for (const [id, v] of Object.entries(raw.paused)) {
      if (isRecord(v) && typeof v.who === 'string' && typeof v.at === 'string') state.paused[id] = { who: v.who, at: v.at };
    }
  }
  if (isRecord(raw.rejected)) {
    for (const [id, hash] of Object.entries(raw.rejected)) if (typeof hash === 'string') state.rejected[id] = hash;
  }
  if (Array.isArray(raw.actions)) {
    for (const a of raw.actions) {
      if (
        isRecord(a) &&
        typeof a.at === 'string' &&
        typeof a.who === 'string' &&
        typeof a.action === 'string' &&
        typeof a.result === 'string'
      ) {
        state.actions.push({ at: a.at, who: a.who, action: a.action, result: a.result });
      }
    }
    state.actions = state.actions.slice(-MAX_ACTIONS);
  }
  return state;
}
