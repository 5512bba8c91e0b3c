// Checking a snapshot against its signed manifest, for the edge and the CLI (synchronous ed25519
// from @noble/curves). The rules themselves are in signed-manifest.ts, shared with the reader's
// service worker. Pure: time and the last accepted version are parameters.
import { SignatureError, decodeSignatures, verifySignatureText, type Manifest } from './manifest.ts';
import { BAD_SIGNATURE, admitManifest, checkDigest, sizeMismatch, type AcceptOptions } from './signed-manifest.ts';
import { sha256Hex } from './bytes.ts';

export { ExpiredError, IntegrityError, RollbackError, checkDigest, type AcceptOptions } from './signed-manifest.ts';

/** Verify signature, freshness and version; return the parsed manifest or throw a named error. */
export function acceptManifest(manifestBytes: Uint8Array, signatureText: string, opts: AcceptOptions): Manifest {
  decodeSignatures(signatureText); // a malformed file gets its own message
  if (!verifySignatureText(manifestBytes, signatureText, opts.publicKey)) throw new SignatureError(BAD_SIGNATURE);
  return admitManifest(manifestBytes, opts);
}

/** Throws IntegrityError unless bytes are exactly what the manifest lists for path. */
export function checkFile(manifest: Manifest, path: string, bytes: Uint8Array, source = ''): void {
  const mismatch = sizeMismatch(manifest, path, bytes.length, source);
  if (mismatch !== undefined) throw mismatch;
  checkDigest(manifest, path, { sha256: sha256Hex(bytes), size: bytes.length }, source);
}
