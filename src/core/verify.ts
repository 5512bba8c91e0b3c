// Checking a snapshot against its signed manifest. Pure: time and the last accepted version
// are parameters.
import {
  ManifestError,
  SignatureError,
  decodeSignatures,
  parseManifest,
  verifySignatureText,
  type FileEntry,
  type Manifest,
} from './manifest.ts';
import { sha256Hex, utf8ToString } from './bytes.ts';

export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    readonly path: string,
    readonly expected: FileEntry | undefined,
    readonly actual: FileEntry,
    readonly source = '',
  ) {
    super(
      expected === undefined
        ? `${source ? `${source}: ` : ''}${path} is not listed in the manifest`
        : `${source ? `${source}: ` : ''}${path} does not match the manifest: expected sha256 ${expected.sha256} (${expected.size} bytes), got ${actual.sha256} (${actual.size} bytes)`,
    );
  }
}

export class RollbackError extends ManifestError {
  override name = 'RollbackError';
}

export class ExpiredError extends ManifestError {
  override name = 'ExpiredError';
}

export interface AcceptOptions {
  publicKey: Uint8Array;
  now: Date;
  /** The highest version accepted before; a lower one is a rollback. */
  minVersion?: number;
}

/** Verify signature, freshness and version; return the parsed manifest or throw a named error. */
export function acceptManifest(manifestBytes: Uint8Array, signatureText: string, opts: AcceptOptions): Manifest {
  decodeSignatures(signatureText); // a malformed file gets its own message
  if (!verifySignatureText(manifestBytes, signatureText, opts.publicKey)) {
    throw new SignatureError('manifest.json.sig does not verify with the pinned public key');
  }
  const manifest = parseManifest(utf8ToString(manifestBytes, 'manifest.json'));
  if (Date.parse(manifest.expires) <= opts.now.getTime()) {
    throw new ExpiredError(`manifest version ${manifest.version} expired at ${manifest.expires}`);
  }
  if (opts.minVersion !== undefined && manifest.version < opts.minVersion) {
    throw new RollbackError(`manifest version ${manifest.version} is older than version ${opts.minVersion} already accepted (rollback)`);
  }
  return manifest;
}

/** Throws IntegrityError unless bytes are exactly what the manifest lists for path. */
export function checkFile(manifest: Manifest, path: string, bytes: Uint8Array, source = ''): void {
  const expected = manifest.files[path];
  if (expected !== undefined && expected.size !== bytes.length) {
    throw new IntegrityError(path, expected, { sha256: '(not hashed: size differs)', size: bytes.length }, source);
  }
  const actual = { sha256: sha256Hex(bytes), size: bytes.length };
  if (expected === undefined || expected.sha256 !== actual.sha256) {
    throw new IntegrityError(path, expected, actual, source);
  }
}
