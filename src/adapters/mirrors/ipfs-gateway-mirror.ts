// `ipfs-gateway` mirror: a path gateway serving the snapshot's CID (base + ipfs/<cid> + path).
// The gateway is not trusted: the edge verifies every byte against the manifest like any mirror.
import type { MirrorConfig } from '../../core/mirrors-config.ts';
import type { LimitedFetch } from '../../ports/fetch.ts';
import type { Mirror } from '../../ports/mirror.ts';
import { createUrlMirror } from './http-mirror.ts';

export interface IpfsGatewayMirrorDeps {
  fetch: LimitedFetch;
}

export function createIpfsGatewayMirror(config: MirrorConfig<'ipfs-gateway'>, { fetch }: IpfsGatewayMirrorDeps): Mirror {
  const { url, cid } = config;
  const root = url.endsWith('/') ? url : `${url}/`;
  return createUrlMirror(config, `${root}ipfs/${cid}/`, fetch);
}
