// The prober of the local vantage point (where `ferry check` and `ferry serve` run), from the
// health config: one place that picks and configures it, for both commands. Every layer (DNS,
// TCP, TLS and SNI, HTTP, the signed manifest and a rotating sample of files, content and block
// pages) within one deadline per probe.
import type { HealthConfig } from '../core/health-config.ts';
import type { GuardReport } from '../core/health/origin-evidence.ts';
import type { Vantage } from '../core/health/observation.ts';
import { createProber } from '../adapters/probes/create-prober.ts';
import type { HealthStore } from '../ports/health-store.ts';
import type { Prober, ProbeTarget } from '../ports/prober.ts';

export const LOCAL_VANTAGE: Vantage = { id: 'local', kind: 'local' };

export interface LocalProberOptions {
  publicKey: Uint8Array;
  health: HealthConfig;
  /** Where earlier rounds are: a mirror that serves an older manifest than it served before is rolling back. */
  store?: Pick<HealthStore, 'history'>;
  /** What the last ingest's guard saw at the origin. */
  originReport?: (target: ProbeTarget) => GuardReport | undefined | Promise<GuardReport | undefined>;
}

export function createLocalProber({ publicKey, health, store, originReport }: LocalProberOptions): Prober {
  const totalMs = health.timeoutSeconds * 1000;
  return createProber({
    publicKey,
    // DNS-over-HTTPS only when configured: the default asks no third party.
    dohUrl: health.doh ?? null,
    ...(health.injectionProbe === undefined
      ? {}
      : { injection: { server: health.injectionProbe, ...(health.countries[0] === undefined ? {} : { country: health.countries[0] }) } }),
    timeouts: {
      totalMs,
      dnsMs: Math.min(5_000, totalMs),
      connectMs: Math.min(10_000, totalMs),
      tlsMs: Math.min(10_000, totalMs),
      httpMs: totalMs,
      slowMs: Math.min(5_000, totalMs),
    },
    ...(store === undefined
      ? {}
      : {
          lastVersion: async (target: ProbeTarget) => {
            const seen = (await store.history({ target: target.id, limit: 200 }))
              .filter((r) => r.vantage.kind === 'local')
              .flatMap((r) => (r.manifestVersion === undefined ? [] : [r.manifestVersion]));
            return seen.length === 0 ? undefined : Math.max(...seen);
          },
        }),
    ...(originReport === undefined ? {} : { originReport }),
  });
}
