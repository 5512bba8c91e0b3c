// Read a byte stream into one Uint8Array, refusing (and cancelling the stream) once it passes
// maxBytes. Web-standard only: the edge, the mirrors, the publishers and the IPFS adapters share it,
// and each turns TooLargeError into its own error (FetchError, MirrorError, IpfsServiceError...).

/** The body is (or says it is) larger than the limit. */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
  constructor(
    readonly maxBytes: number,
    /** The size a Content-Length header announced, when the refusal came before reading. */
    readonly declaredBytes?: number,
  ) {
    super(
      declaredBytes === undefined
        ? `body is over the limit of ${maxBytes} bytes`
        : `body of ${declaredBytes} bytes is over the limit of ${maxBytes}`,
    );
  }
}

/** Reads the whole stream (none: empty); throws TooLargeError past maxBytes, after cancelling it. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new TooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return concatChunks(chunks, total);
}

/**
 * Reads a fetch Response's body: refuses at once (cancelling the body) when Content-Length
 * announces more than maxBytes, then reads it with readCapped.
 */
export async function readResponseCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TooLargeError(maxBytes, declared);
  }
  return readCapped(response.body, maxBytes);
}

/** Collects an async iterable of chunks; throws TooLargeError past maxBytes (the iterator is closed). */
export async function collectCapped(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new TooLargeError(maxBytes);
    parts.push(chunk);
  }
  return concatChunks(parts, total);
}

/**
 * The chunks joined into one array. A lone chunk is returned as it is (no copy); `total`, when the
 * caller already counted it, saves a pass.
 */
export function concatChunks(chunks: readonly Uint8Array[], total = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
