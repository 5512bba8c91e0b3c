// The dashboard session store contract against Workers KV in workerd.
import { env } from 'cloudflare:workers';
import { createKvSessionStore } from '../../src/adapters/dashboard/kv-session-store.ts';
import { sessionStoreContract } from '../contract/session-store.contract.ts';

sessionStoreContract('kv (workerd)', (now) => createKvSessionStore(env.FERRY_KV, now));
