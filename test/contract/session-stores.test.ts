// The session store contract on Node (memory); the KV store runs it in workerd (test/worker/session-store.test.ts).
import { createMemorySessionStore } from '../../src/edge/dashboard/auth.ts';
import { sessionStoreContract } from './session-store.contract.ts';

sessionStoreContract('memory', (now) => createMemorySessionStore(now));
