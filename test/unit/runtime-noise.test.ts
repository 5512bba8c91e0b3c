// What test/helpers/runtime-noise.ts keeps off the console, on lines workerd (as wrangler 4.86.0 installs it) and
// vite printed in this suite's runs (stack addresses shortened), and what it must still show.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingSourceMaps, workerdLineFilter } from '../helpers/runtime-noise.ts';

const STACK = 'stack: /work/main/node_modules/@cloudflare/workerd-linux-64/bin/workerd@52008e2 …/workerd@2c3e830';
const REFUSED = 'exception = kj/async-io-unix.c++:1538: disconnected: connect(): Connection refused';
const LOST_1 = 'uncaught exception; source = Uncaught (in promise); stack = Error: Network connection lost.';
const LOST_2 =
  'uncaught exception; exception = workerd/jsg/_virtual_includes/iterator/workerd/jsg/value.h:1480: disconnected: jsg.Error: Network connection lost.';
const POOL = 'exception = workerd/api/web-socket.c++:821: disconnected: WebSocket peer disconnected';

const shown = (lines: string[]): { shown: string[]; held: ReturnType<typeof workerdLineFilter>['held'] } => {
  const filter = workerdLineFilter();
  return { shown: lines.filter((l) => filter.keep(l)), held: filter.held };
};

describe('workerd line filter', () => {
  it('holds back a refused connection, its two "connection lost" lines and their stacks, and the pool closing', () => {
    const result = shown([
      REFUSED,
      STACK,
      LOST_1,
      LOST_2,
      STACK,
      REFUSED,
      STACK,
      LOST_1,
      POOL,
      ' ✓  workers  test/worker/edge.test.ts (6 tests)',
    ]);
    expect(result.shown).toEqual([' ✓  workers  test/worker/edge.test.ts (6 tests)']);
    expect(result.held).toEqual({ refused: 2, lost: 3, poolClosed: 1 });
  });

  it('shows a "connection lost" before any refused connection, and a stack after a line it shows', () => {
    const error = 'uncaught exception; source = Uncaught (in promise); stack = TypeError: x is not a function';
    const result = shown([LOST_1, STACK, error, STACK, 'exception = kj/async-io-unix.c++:1538: disconnected: connect(): Connection reset']);
    expect(result.shown).toEqual([
      LOST_1,
      STACK,
      error,
      STACK,
      'exception = kj/async-io-unix.c++:1538: disconnected: connect(): Connection reset',
    ]);
    expect(result.held).toEqual({ refused: 0, lost: 0, poolClosed: 0 });
  });

  it('holds back only whole lines that match, not a line that quotes one', () => {
    const quoted = `expected "${REFUSED}" to be logged`;
    expect(shown([REFUSED, quoted, STACK]).shown).toEqual([quoted, STACK]);
  });
});

describe('missing source maps', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-maps-'));
    await mkdir(join(dir, 'node_modules', 'pkg', 'lib'), { recursive: true });
    await writeFile(join(dir, 'node_modules', 'pkg', 'lib', 'gone.js'), 'export const a = 1;\n//# sourceMappingURL=gone.js.map\n');
    await writeFile(join(dir, 'node_modules', 'pkg', 'lib', 'kept.js'), 'export const b = 2;\n//# sourceMappingURL=kept.js.map\n');
    await writeFile(join(dir, 'node_modules', 'pkg', 'lib', 'kept.js.map'), '{"version":3,"sources":[],"mappings":""}');
    await writeFile(join(dir, 'own.js'), 'export const c = 3;\n//# sourceMappingURL=own.js.map\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = (id: string): unknown => {
    const hook = missingSourceMaps().load;
    if (typeof hook !== 'function') throw new Error('the plugin has no load hook');
    return (hook as (id: string) => unknown)(id);
  };

  it('loads a package file without a comment naming a map it does not ship', () => {
    expect(load(join(dir, 'node_modules', 'pkg', 'lib', 'gone.js'))).toBe('export const a = 1;\n');
  });

  it('leaves to vite a package file whose map is there, a project file and a file that does not exist', () => {
    expect(load(join(dir, 'node_modules', 'pkg', 'lib', 'kept.js'))).toBeNull();
    expect(load(join(dir, 'own.js'))).toBeNull();
    expect(load(join(dir, 'node_modules', 'pkg', 'lib', 'absent.js'))).toBeNull();
  });
});
