// The pool on its own: pure state transitions and ordering, and hedged races over in-memory mirrors.
import { describe, expect, it } from 'vitest';
import { createMirrorPool, UnavailableError } from '../../src/edge/mirror-pool.ts';
import { hedgeDelayMs, initialPoolState, nextPoolState, orderMirrors, type PoolState } from '../../src/edge/pool-state.ts';
import { MirrorError, type Mirror } from '../../src/ports/mirror.ts';

const apply = (...obs: Parameters<typeof nextPoolState>[1][]): PoolState => obs.reduce((s, o) => nextPoolState(s, o), initialPoolState());

describe('pool state', () => {
  it.each([
    [[{ type: 'unreachable', error: 'x' }], 'degraded'],
    [[1, 2, 3].map(() => ({ type: 'unreachable', error: 'x' }) as const), 'unreachable'],
    [[{ type: 'failure', error: 'HTTP 500' }], 'degraded'],
    [
      [
        { type: 'failure', error: 'x' },
        { type: 'success', latencyMs: 5 },
      ],
      'healthy',
    ],
    [
      [
        { type: 'compromised', error: 'bad bytes' },
        { type: 'success', latencyMs: 5 },
      ],
      'compromised',
    ],
    [[{ type: 'compromised', error: 'bad bytes' }, { type: 'cleared' }], 'healthy'],
    // Trusted again after three verified files; a valid manifest or a failure to answer does not count.
    [[{ type: 'compromised', error: 'bad bytes' }, ...[1, 2, 3].map(() => ({ type: 'success', latencyMs: 5 }) as const)], 'healthy'],
    [
      [
        { type: 'compromised', error: 'bad bytes' },
        ...[1, 2, 3].map(() => ({ type: 'success', latencyMs: 5, what: 'manifest' }) as const),
        { type: 'unreachable', error: 'x' },
        { type: 'success', latencyMs: 5 },
      ],
      'compromised',
    ],
    [
      [
        { type: 'compromised', error: 'bad bytes' },
        { type: 'success', latencyMs: 5 },
        { type: 'success', latencyMs: 5 },
        { type: 'compromised', error: 'bad bytes again' },
        { type: 'success', latencyMs: 5 },
        { type: 'success', latencyMs: 5 },
      ],
      'compromised',
    ],
  ] as const)('%j -> %s', (obs, health) => {
    expect(apply(...obs).health).toBe(health);
  });

  it('orders by health, then priority, then latency; a compromised mirror last', () => {
    const at = (id: string, priority: number, state: PoolState) => ({ id, priority, state });
    const fast = apply({ type: 'success', latencyMs: 5 });
    const slow = apply({ type: 'success', latencyMs: 80 });
    const order = orderMirrors([
      at('bad', 1, apply({ type: 'compromised', error: 'x' })),
      at('down', 1, apply({ type: 'unreachable', error: 'x' })),
      at('slow', 2, slow),
      at('fast', 2, fast),
      at('first', 1, slow),
    ]).map((m) => m.id);
    expect(order).toEqual(['first', 'fast', 'slow', 'down', 'bad']);
  });

  it('hedge delay follows observed latency within bounds', () => {
    const policy = { initialMs: 100, minMs: 50, maxMs: 500 };
    expect(hedgeDelayMs(initialPoolState(), policy)).toBe(100);
    expect(hedgeDelayMs(apply({ type: 'success', latencyMs: 1 }), policy)).toBe(50);
    expect(hedgeDelayMs(apply({ type: 'success', latencyMs: 100 }), policy)).toBe(210);
    expect(hedgeDelayMs(apply({ type: 'success', latencyMs: 5000 }), policy)).toBe(500);
  });
});

function fakeMirror(id: string, priority: number, answer: { delayMs: number; fail?: boolean }, aborted: string[]): Mirror {
  return {
    id,
    kind: 'fake',
    location: id,
    priority,
    get: (_path, { signal }) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          if (answer.fail) reject(new MirrorError(id, 'unreachable', 'refused'));
          else resolve({ found: true, body: new TextEncoder().encode(id) });
        }, answer.delayMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          aborted.push(id);
          reject(new MirrorError(id, 'aborted', 'cancelled'));
        });
      }),
  };
}

describe('hedged race', () => {
  const hedge = { initialMs: 30, minMs: 10, maxMs: 100 };
  const read = (m: Mirror, signal: AbortSignal) => m.get('/x', { signal, maxBytes: 10, timeoutMs: 1000 });

  it('asks the next mirror after the hedge delay; the first answer wins, the others are aborted', async () => {
    const aborted: string[] = [];
    const pool = createMirrorPool({
      mirrors: [fakeMirror('hangs', 1, { delayMs: 10_000 }, aborted), fakeMirror('ok', 2, { delayMs: 5 }, aborted)],
      hedge,
    });
    const t0 = performance.now();
    const win = await pool.race(read, { deadlineMs: 1000 });
    expect(win.mirror.id).toBe('ok');
    expect(performance.now() - t0).toBeLessThan(200);
    expect(aborted).toEqual(['hangs']);
    expect(pool.state('hangs')?.health).toBe('degraded');
  });

  it('a failure moves on at once, without waiting for the hedge delay', async () => {
    const pool = createMirrorPool({
      mirrors: [fakeMirror('refuses', 1, { delayMs: 1, fail: true }, []), fakeMirror('ok', 2, { delayMs: 1 }, [])],
      hedge: { initialMs: 5000, minMs: 5000, maxMs: 5000 },
    });
    const t0 = performance.now();
    expect((await pool.race(read, { deadlineMs: 1000 })).mirror.id).toBe('ok');
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('the deadline ends the race with every reason', async () => {
    const pool = createMirrorPool({ mirrors: [fakeMirror('hangs', 1, { delayMs: 10_000 }, [])], hedge });
    const err = await pool.race(read, { deadlineMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(String(err)).toContain('deadline of 50 ms');
    expect(pool.state('hangs')?.health).toBe('degraded');
  });
});
