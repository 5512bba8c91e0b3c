// Where maintainers' decisions are kept (paused mirrors, rejected posts, the action history).
// One writer at a time: update() reads, applies and writes as one step.
import type { MaintainerState } from '../core/maintainer-state.ts';

export interface MaintainerStore {
  load(): Promise<MaintainerState>;
  update(change: (state: MaintainerState) => MaintainerState): Promise<MaintainerState>;
}
