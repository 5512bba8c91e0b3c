// The policies one check round decides with, together: hysteresis, the quorum for a block, the
// canonical's cooldown, and how long other vantage points' reports count.
import type { CanonicalPolicy } from './choose-canonical.ts';
import type { RoundPolicy } from './combine-round.ts';
import type { HealthPolicy } from './health-state.ts';

export interface RoundPolicies {
  health: HealthPolicy;
  round: RoundPolicy;
  canonical: CanonicalPolicy;
  /** Reports from other vantage points count for this long after they were made, ms. */
  reportWindowMs: number;
}
