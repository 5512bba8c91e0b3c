// ed25519 in the reader's browser: WebCrypto's Ed25519 where the browser has it, else
// @noble/ed25519 (audited, small; it hashes with WebCrypto's SHA-512, which every browser has).
// The rules around the check are core's (signed-manifest.ts), the same as the edge's.
import { verifyAsync } from '@noble/ed25519';
import type { VerifySignature } from '../core/signed-manifest.ts';

export interface SignatureVerifierOptions {
  /** WebCrypto (default: the global one); null, or one without Ed25519, makes every check go through @noble/ed25519. */
  subtle?: SubtleCrypto | null;
}

export interface SignatureVerifier {
  verify: VerifySignature;
  /** Which implementation answered the last check ('webcrypto' or 'noble'), for the benchmark and tests. */
  used: () => 'webcrypto' | 'noble' | undefined;
}

export function createSignatureVerifier({ subtle = globalThis.crypto?.subtle }: SignatureVerifierOptions = {}): SignatureVerifier {
  let webcrypto = subtle !== null && subtle !== undefined;
  let last: 'webcrypto' | 'noble' | undefined;
  const keys = new Map<string, Promise<CryptoKey>>();
  const keyFor = (s: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey> => {
    const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
    let key = keys.get(id);
    if (key === undefined) {
      key = s.importKey('raw', Uint8Array.from(publicKey), { name: 'Ed25519' }, false, ['verify']);
      keys.set(id, key);
    }
    return key;
  };
  const verify = async (bytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    if (webcrypto && subtle !== null && subtle !== undefined) {
      let key: CryptoKey | undefined;
      try {
        key = await keyFor(subtle, publicKey);
      } catch {
        // No Ed25519 in this browser's WebCrypto (NotSupportedError): the library from now on.
        webcrypto = false;
      }
      if (key !== undefined) {
        last = 'webcrypto';
        return subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(signature), Uint8Array.from(bytes));
      }
    }
    last = 'noble';
    try {
      return await verifyAsync(signature, bytes, publicKey);
    } catch {
      return false;
    }
  };
  return { verify, used: () => last };
}
