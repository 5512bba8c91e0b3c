// Fallback entry of the build worker thread (see worker-script.ts). Plain JavaScript so that it can load the
// TypeScript sources through tsx, as bin/ferry.js does.
import { register } from 'tsx/esm/api';

register();
await import('./build-worker-main.ts');
