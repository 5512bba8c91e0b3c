// The edge state contract for the KV adapter, in workerd over the test's KV binding.
import { env } from 'cloudflare:workers';
import { createKvEdgeState } from '../../src/adapters/edge-state/kv-edge-state.ts';
import { edgeStateContract } from '../contract/edge-state.contract.ts';

let n = 0;
let last = '';
edgeStateContract('kv', {
  open: () => createKvEdgeState(env.FERRY_KV, (last = `contract-${n++}/`)),
  reopen: () => createKvEdgeState(env.FERRY_KV, last),
});
