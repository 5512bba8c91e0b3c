// The edge-state contract for the KV adapter, on the Worker's own KV binding inside workerd.
import { env } from 'cloudflare:workers';
import { createKvEdgeState } from '../../src/adapters/edge-state/kv-edge-state.ts';
import { edgeStateContract } from '../contract/edge-state.contract.ts';

let n = 0;
let prefix = '';
edgeStateContract('kv (workerd)', {
  // A prefix of its own per store: a fresh, empty store on the same namespace.
  open: () => createKvEdgeState(env.FERRY_KV, (prefix = `contract-${n++}/`)),
  reopen: () => createKvEdgeState(env.FERRY_KV, prefix),
});
