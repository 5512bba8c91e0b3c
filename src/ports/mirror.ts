// A mirror: somewhere the edge can ask for a snapshot path's bytes. One adapter per kind
// (src/adapters/mirrors/*), built from data by a factory table; the pool never looks at the kind.
import type { MirrorConfig } from '../core/mirrors-config.ts';

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

export type MirrorProblem = 'unreachable' | 'timeout' | 'too-large' | 'http-status' | 'aborted' | 'bad-path';

export class MirrorError extends Error {
  override name = 'MirrorError';
  constructor(
    readonly mirrorId: string,
    readonly problem: MirrorProblem,
    detail: string,
  ) {
    super(`mirror '${mirrorId}': ${detail}`);
  }
}

/** Builds one kind of mirror from its config entry and the runtime's dependencies. */
export type MirrorFactory<Deps> = (config: MirrorConfig, deps: Deps) => Mirror;

/** kind -> factory. Each runtime passes the kinds it supports. */
export type MirrorFactories<Deps> = Readonly<Record<string, MirrorFactory<Deps>>>;

/** Build every configured mirror through the factory table (an unknown kind is a clear error). */
export function createMirrors<Deps>(configs: readonly MirrorConfig[], factories: MirrorFactories<Deps>, deps: Deps): Mirror[] {
  return configs.map((config) => {
    const factory = factories[config.kind];
    if (factory === undefined) {
      throw new Error(`mirror '${config.id}': kind '${config.kind}' is not available here (have: ${Object.keys(factories).join(', ')})`);
    }
    return factory(config, deps);
  });
}
