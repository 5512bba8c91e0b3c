import { describe, expect, it } from 'vitest';
import { TooLargeError, collectCapped, concatChunks, readCapped, readResponseCapped } from '../../src/adapters/web/read-capped.ts';

function streamOf(chunks: Uint8Array[], onCancel: () => void = () => undefined): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[i++];
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
    cancel: onCancel,
  });
}

const bytes = (...values: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(values);

describe('readCapped', () => {
  it('joins the chunks, and reads a missing body as empty', async () => {
    expect(await readCapped(streamOf([bytes(1, 2), bytes(3), bytes(4, 5)]), 5)).toEqual(bytes(1, 2, 3, 4, 5));
    expect(await readCapped(null, 0)).toEqual(new Uint8Array(0));
    expect(await readCapped(streamOf([]), 0)).toEqual(new Uint8Array(0));
  });

  it('refuses one byte past the limit and cancels the stream', async () => {
    let cancelled = false;
    const error = await readCapped(
      streamOf([bytes(1, 2, 3), bytes(4, 5, 6)], () => (cancelled = true)),
      5,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error).toMatchObject({ maxBytes: 5, declaredBytes: undefined, message: 'body is over the limit of 5 bytes' });
    expect(cancelled).toBe(true);
  });
});

describe('readResponseCapped', () => {
  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(bytes(1));
      },
      cancel: () => {
        cancelled = true;
      },
    });
    const response = new Response(body, { headers: { 'content-length': '10' } });
    const error = await readResponseCapped(response, 9).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TooLargeError',
      maxBytes: 9,
      declaredBytes: 10,
      message: 'body of 10 bytes is over the limit of 9',
    });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('reads a body within the limit, and still counts bytes when Content-Length lies', async () => {
    expect(await readResponseCapped(new Response(bytes(7, 8, 9)), 3)).toEqual(bytes(7, 8, 9));
    const lying = new Response(streamOf([bytes(1, 2), bytes(3, 4)]), { headers: { 'content-length': '2' } });
    await expect(readResponseCapped(lying, 3)).rejects.toMatchObject({ name: 'TooLargeError', declaredBytes: undefined });
  });
});

describe('collectCapped', () => {
  it('collects an async iterable and closes it once past the limit', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield bytes(1, 2);
        yield bytes(3, 4);
        yield bytes(5);
      } finally {
        closed = true;
      }
    }
    expect(await collectCapped(source(), 5)).toEqual(bytes(1, 2, 3, 4, 5));
    closed = false;
    await expect(collectCapped(source(), 3)).rejects.toBeInstanceOf(TooLargeError);
    expect(closed).toBe(true);
  });
});

describe('concatChunks', () => {
  it('returns a lone chunk as it is and copies several into one array', () => {
    const lone = bytes(1, 2, 3);
    expect(concatChunks([lone])).toBe(lone);
    expect(concatChunks([])).toEqual(new Uint8Array(0));
    const a = bytes(1);
    const b = bytes(2, 3);
    const joined = concatChunks([a, b]);
    expect(joined).toEqual(bytes(1, 2, 3));
    a[0] = 9;
    expect(joined[0]).toBe(1);
  });
});
