// IPFS pinners and pointers from configuration (one factory per kind, mirroring PINNER_KINDS and
// POINTER_KINDS), and the guard that moves pointers only to a pinned, verified root.
import type { IpfsConfig } from '../core/config.ts';
import type { KindConfig } from '../core/targets-config.ts';
import type { Pinner, Pointer } from '../ports/ipfs.ts';
import { createKuboIpnsPointer, createKuboPinner } from '../adapters/ipfs/kubo-publisher.ts';
import { createPinningServicePinner } from '../adapters/ipfs/pinning-service.ts';
import { createS3CarPinner } from '../adapters/ipfs/s3-car-pinner.ts';
import { createCloudflareDnslinkPointer } from '../adapters/ipfs/dnslink-cloudflare.ts';
import { createPointerGuard, type PointerGuard } from '../adapters/ipfs/pointer-guard.ts';

type Env = Record<string, string | undefined>;
const str = (c: KindConfig, k: string): string => {
  const v = c.options[k];
  return typeof v === 'string' ? v : '';
};

const PINNERS: Readonly<Record<string, (c: KindConfig, env: Env) => Pinner>> = {
  kubo: (c) => createKuboPinner({ url: str(c, 'url'), name: c.id }),
  'pinning-service': (c, env) =>
    createPinningServicePinner({ name: c.id, endpoint: str(c, 'endpoint'), tokenEnv: str(c, 'tokenEnv'), env }),
  's3-car': (c, env) =>
    createS3CarPinner({
      name: c.id,
      endpoint: str(c, 'endpoint'),
      bucket: str(c, 'bucket'),
      ...(str(c, 'region') === '' ? {} : { region: str(c, 'region') }),
      accessKeyIdEnv: str(c, 'accessKeyIdEnv'),
      secretAccessKeyEnv: str(c, 'secretAccessKeyEnv'),
      env,
    }),
};

const POINTERS: Readonly<Record<string, (c: KindConfig, env: Env) => Pointer>> = {
  ipns: (c) => createKuboIpnsPointer({ url: str(c, 'url'), name: c.id, ...(str(c, 'key') === '' ? {} : { key: str(c, 'key') }) }),
  'dnslink-cloudflare': (c, env) =>
    createCloudflareDnslinkPointer({ zoneId: str(c, 'zoneId'), recordName: str(c, 'recordName'), tokenEnv: str(c, 'tokenEnv'), env }),
};

function build<T>(list: readonly KindConfig[], table: Readonly<Record<string, (c: KindConfig, env: Env) => T>>, env: Env): T[] {
  return list.map((c) => {
    const make = table[c.kind];
    if (make === undefined) throw new Error(`${c.id}: no adapter for kind ${c.kind}`);
    return make(c, env);
  });
}

/** The pointer guard for this configuration, or undefined when nothing is pinned or pointed. */
export function createIpfsGuard(config: IpfsConfig, env: Env): PointerGuard | undefined {
  if (config.pinners.length === 0 && config.pointers.length === 0) return undefined;
  return createPointerGuard({
    pinners: build(config.pinners, PINNERS, env),
    pointers: build(config.pointers, POINTERS, env),
    gateways: config.gateways,
    minGateways: Math.min(config.minGateways, Math.max(1, config.gateways.length)),
  });
}
