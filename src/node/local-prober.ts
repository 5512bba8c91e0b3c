// The prober of the local vantage point (where `ferry check` and `ferry serve` run), from the
// health config: one place that picks and configures it, for both commands.
import type { HealthConfig } from '../core/health-config.ts';
import type { Vantage } from '../core/health/observation.ts';
import { createManifestProber } from '../adapters/probes/manifest-prober.ts';
import type { Prober } from '../ports/prober.ts';

export const LOCAL_VANTAGE: Vantage = { id: 'local', kind: 'local' };

export interface LocalProberOptions {
  publicKey: Uint8Array;
  health: HealthConfig;
}

export function createLocalProber({ publicKey, health }: LocalProberOptions): Prober {
  return createManifestProber({ publicKey, timeoutMs: health.timeoutSeconds * 1000 });
}
