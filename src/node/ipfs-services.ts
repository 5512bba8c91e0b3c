// IPFS pinners and pointers from configuration (one factory per kind of PINNER_KINDS and
// POINTER_KINDS, src/core/ipfs-config.ts), and the guard that moves pointers only to a pinned,
// verified root.
import type { IpfsConfig } from '../core/config.ts';
import { PINNER_KINDS, POINTER_KINDS } from '../core/ipfs-config.ts';
import { createKinds, type KindFactories } from '../core/kinds.ts';
import type { Pinner, Pointer } from '../ports/ipfs.ts';
import { createKuboIpnsPointer, createKuboPinner } from '../adapters/ipfs/kubo-publisher.ts';
import { createPinningServicePinner } from '../adapters/ipfs/pinning-service.ts';
import { createS3CarPinner } from '../adapters/ipfs/s3-car-pinner.ts';
import { createCloudflareDnslinkPointer } from '../adapters/ipfs/dnslink-cloudflare.ts';
import { createPointerGuard, type PointerGuard } from '../adapters/ipfs/pointer-guard.ts';

type Env = Record<string, string | undefined>;

export const PINNER_FACTORIES: KindFactories<typeof PINNER_KINDS, Env, Pinner> = {
  kubo: ({ id, url }) => createKuboPinner({ url, name: id }),
  'pinning-service': ({ id, endpoint, tokenEnv }, env) => createPinningServicePinner({ name: id, endpoint, tokenEnv, env }),
  's3-car': ({ id, endpoint, bucket, region, accessKeyIdEnv, secretAccessKeyEnv }, env) =>
    createS3CarPinner({ name: id, endpoint, bucket, region, accessKeyIdEnv, secretAccessKeyEnv, env }),
};

export const POINTER_FACTORIES: KindFactories<typeof POINTER_KINDS, Env, Pointer> = {
  ipns: ({ id, url, key }) => createKuboIpnsPointer({ url, name: id, key }),
  'dnslink-cloudflare': ({ zoneId, recordName, tokenEnv }, env) => createCloudflareDnslinkPointer({ zoneId, recordName, tokenEnv, env }),
};

/** The pointer guard for this configuration, or undefined when nothing is pinned or pointed. */
export function createIpfsGuard(config: IpfsConfig, env: Env): PointerGuard | undefined {
  if (config.pinners.length === 0 && config.pointers.length === 0) return undefined;
  return createPointerGuard({
    pinners: createKinds(PINNER_KINDS, config.pinners, PINNER_FACTORIES, env, 'pinner'),
    pointers: createKinds(POINTER_KINDS, config.pointers, POINTER_FACTORIES, env, 'pointer'),
    gateways: config.gateways,
    minGateways: Math.min(config.minGateways, Math.max(1, config.gateways.length)),
  });
}
