// Maintainers' decisions in one JSON file in the data folder, replaced atomically (temp file,
// fsync, rename): a crash leaves the old or the new state. Updates in this process are queued so
// two actions never interleave; `ferry serve` is the only process that writes it.
import { readFile } from 'node:fs/promises';
import { emptyMaintainerState, parseMaintainerState, type MaintainerState } from '../../core/maintainer-state.ts';
import type { MaintainerStore } from '../../ports/maintainer-store.ts';
import { writeFileAtomic } from './atomic-file.ts';

export function createFileMaintainerStore(file: string): MaintainerStore {
  let queue: Promise<unknown> = Promise.resolve();
  const load = async (): Promise<MaintainerState> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyMaintainerState();
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    try {
      return parseMaintainerState(JSON.parse(text));
    } catch (e) {
      throw new Error(
        `${file}: not valid JSON (${(e as Error).message}); fix or remove it (it holds paused mirrors and the action history)`,
      );
    }
  };
  return {
    load: () => queue.then(load),
    update: (change) => {
      const next = queue.then(async () => {
        const state = change(await load());
        await writeFileAtomic(file, `${JSON.stringify(state, null, 1)}\n`, 0o600);
        return state;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
