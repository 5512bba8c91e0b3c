// Compressing verified files once, when they enter the cache. The default uses the Web-standard
// CompressionStream (gzip; brotli is not in CompressionStream on Node 20 or workerd). Node passes a
// zlib compressor with brotli too (src/node/edge-server.ts).

export type Encoding = 'br' | 'gzip';

export interface Compressor {
  /** Encodings offered, best first. */
  readonly encodings: readonly Encoding[];
  compress(bytes: Uint8Array, encoding: Encoding): Promise<Uint8Array>;
}

export function createWebCompressor(): Compressor {
  return {
    encodings: ['gzip'],
    async compress(bytes, encoding) {
      if (encoding !== 'gzip') throw new Error(`${encoding} is not available in CompressionStream`);
      const stream = new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream('gzip'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    },
  };
}

export const NO_COMPRESSION: Compressor = {
  encodings: [],
  compress: async () => {
    throw new Error('compression is off');
  },
};

const ACCEPTS: Readonly<Record<Encoding, RegExp>> = {
  br: /(?:^|,)\s*br\s*(?:;\s*q=([0-9.]+))?\s*(?:,|$)/i,
  gzip: /(?:^|,)\s*gzip\s*(?:;\s*q=([0-9.]+))?\s*(?:,|$)/i,
};

/** Which encoding to send: the best one the client accepts (q > 0) among those available. */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly Encoding[]): Encoding | undefined {
  if (!acceptEncoding || available.length === 0) return undefined;
  for (const enc of available) {
    const m = ACCEPTS[enc].exec(acceptEncoding);
    if (m && (m[1] === undefined || Number(m[1]) > 0)) return enc;
  }
  return undefined;
}
