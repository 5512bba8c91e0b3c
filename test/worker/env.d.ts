// What the tests see of the Worker: its bindings (cloudflare:workers `env`) and its main module
// (cloudflare:workers `exports`).
import type { FerryEnv } from '../../src/worker/index.ts';

declare global {
  namespace Cloudflare {
    interface Env extends FerryEnv {}
    interface GlobalProps {
      mainModule: typeof import('../../src/worker/index.ts');
    }
  }
}
