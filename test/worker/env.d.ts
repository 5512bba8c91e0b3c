// What the tests see of the Worker: its bindings (cloudflare:workers `env`) and its main module
// (cloudflare:workers `exports`).
import type { FerryEnv } from '../../src/worker/index.ts';

declare global {
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges FerryEnv into the global Env
    interface Env extends FerryEnv {}
    interface GlobalProps {
      mainModule: typeof import('../../src/worker/index.ts');
    }
  }
}
