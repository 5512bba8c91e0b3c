// A mirror: somewhere the edge can ask for a snapshot path's bytes. One adapter per kind
// (src/adapters/mirrors/*), built from data by a factory table; the pool never looks at the kind.
import { createKinds, type KindFactories } from '../core/kinds.ts';
import { MIRROR_KINDS, type MirrorConfig } from '../core/mirrors-config.ts';

export interface MirrorGetOptions {
  /** Aborts the request (a hedged request that lost, the overall deadline). */
  signal?: AbortSignal;
  /** Largest body accepted: a bigger one is rejected without being read in full. */
  maxBytes: number;
  /** Deadline for this one request, in milliseconds. */
  timeoutMs: number;
}

/** A mirror's answer. Missing paths are `found: false`; every other problem is a MirrorError. */
export type MirrorResponse = { found: true; body: Uint8Array } | { found: false };

export interface Mirror {
  readonly id: string;
  readonly kind: string;
  /** Where it is, for messages and the health page (a URL, a folder, a KV prefix). */
  readonly location: string;
  readonly priority: number;
  get(path: string, options: MirrorGetOptions): Promise<MirrorResponse>;
}

export { MirrorError, type MirrorProblem } from './mirror-error.ts';

/** kind -> factory (core's MIRROR_KINDS types each one). Each runtime lists the kinds it supports. */
export type MirrorFactories<Deps> = Partial<KindFactories<typeof MIRROR_KINDS, Deps, Mirror>>;

/** Build every configured mirror through the factory table (a kind it lacks is a clear error). */
export function createMirrors<Deps>(configs: readonly MirrorConfig[], factories: MirrorFactories<Deps>, deps: Deps): Mirror[] {
  return createKinds(MIRROR_KINDS, configs, factories, deps, 'mirror');
}
