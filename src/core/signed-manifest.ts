// The signed manifest's format and the rules for accepting it, without any ed25519 code: what the
// edge (src/core/verify.ts, with @noble/curves) and the reader's service worker (src/sw, with
// WebCrypto or @noble/ed25519) share, so both accept exactly the same manifests and files. Pure.
import type { MirrorRef } from './model.ts';
import { fromBase64, utf8ToString } from './bytes.ts';
import { isRecord } from './is-record.ts';

export const MANIFEST_PATH = '/manifest.json';
export const SIGNATURE_PATH = '/manifest.json.sig';
/**
 * A mirror updated in place announces the manifest it is moving to before its first new file, so
 * an edge that meets a new file under the old manifest sees a publish in progress, not tampering.
 */
export const NEXT_MANIFEST_PATH = '/manifest.next.json';
export const NEXT_SIGNATURE_PATH = '/manifest.next.json.sig';

/** The announcement's files, each a copy of the snapshot file it names. */
export const ANNOUNCEMENT_COPIES: ReadonlyMap<string, string> = new Map([
  [NEXT_MANIFEST_PATH, MANIFEST_PATH],
  [NEXT_SIGNATURE_PATH, SIGNATURE_PATH],
]);

/** The snapshot as an in-place mirror gets it: plus the announcement of its own manifest. */
export function withAnnouncement(files: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map(files);
  if (!files.has(MANIFEST_PATH) || !files.has(SIGNATURE_PATH)) return out;
  for (const [copy, of] of ANNOUNCEMENT_COPIES) {
    const bytes = files.get(of);
    if (bytes !== undefined) out.set(copy, bytes);
  }
  return out;
}
export const MANIFEST_FORMAT = 'ferry-manifest/1';

export interface FileEntry {
  sha256: string;
  size: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  /** ISO 8601, UTC. */
  created: string;
  expires: string;
  canonical: string;
  mirrors: MirrorRef[];
  /** Snapshot path (leading slash) -> digest. Sorted by path. */
  files: Record<string, FileEntry>;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export class SignatureError extends Error {
  override name = 'SignatureError';
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parse and validate a manifest's bytes (never trusts a cast). */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(raw)) throw new ManifestError('manifest.json: not an object');
  if (raw.format !== MANIFEST_FORMAT) {
    throw new ManifestError(`manifest.json: format must be "${MANIFEST_FORMAT}"`);
  }
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new ManifestError('manifest.json: version must be a positive integer');
  }
  for (const key of ['created', 'expires'] as const) {
    const v = raw[key];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
      throw new ManifestError(`manifest.json: ${key} must be an ISO 8601 time`);
    }
  }
  if (typeof raw.canonical !== 'string') throw new ManifestError('manifest.json: canonical must be a URL');
  if (!Array.isArray(raw.mirrors)) throw new ManifestError('manifest.json: mirrors must be a list');
  const mirrors: MirrorRef[] = raw.mirrors.map((m, i) => {
    if (
      !isRecord(m) ||
      typeof m.id !== 'string' ||
      typeof m.kind !== 'string' ||
      typeof m.url !== 'string' ||
      typeof m.priority !== 'number'
    ) {
      throw new ManifestError(`manifest.json: mirrors[${i}] needs id, kind, url and priority`);
    }
    const ref: MirrorRef = { id: m.id, kind: m.kind, url: m.url, priority: m.priority };
    if (typeof m.channel === 'string') ref.channel = m.channel;
    return ref;
  });
  if (!isRecord(raw.files)) throw new ManifestError('manifest.json: files must be an object');
  const files: Record<string, FileEntry> = {};
  for (const [path, entry] of Object.entries(raw.files)) {
    if (!isSafeSnapshotPath(path)) throw new ManifestError(`manifest.json: unsafe path ${JSON.stringify(path)}`);
    if (
      !isRecord(entry) ||
      typeof entry.sha256 !== 'string' ||
      !HEX64.test(entry.sha256) ||
      typeof entry.size !== 'number' ||
      !Number.isSafeInteger(entry.size) ||
      entry.size < 0
    ) {
      throw new ManifestError(`manifest.json: files[${JSON.stringify(path)}] needs sha256 (hex) and size`);
    }
    files[path] = { sha256: entry.sha256, size: entry.size };
  }
  return {
    format: MANIFEST_FORMAT,
    version,
    created: raw.created as string,
    expires: raw.expires as string,
    canonical: raw.canonical,
    mirrors,
    files,
  };
}

/**
 * A path a snapshot may contain: absolute, no dot segments, no backslashes, control characters or
 * URL metacharacters (% ? #), so it names the same file on disk, in a URL and on every mirror.
 */
export function isSafeSnapshotPath(path: string): boolean {
  if (!path.startsWith('/') || path.length > 1024) return false;
  if (/[\\\u0000-\u001f\u007f%?#]/.test(path)) return false;
  const segments = path.slice(1).split('/');
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * manifest.json.sig holds one base64 ed25519 signature per line: the current manifest's first,
 * then those of a few earlier versions. A mirror is updated signature file first, manifest second,
 * so a reader (or a crash) between the two writes still finds a signature for the manifest it
 * sees. Every line is a signature by the pinned key over some manifest's exact bytes; accepting
 * any of them is as safe as accepting one (rollback is stopped by the version check).
 */
export const MAX_SIGNATURE_LINES = 8;

export function decodeSignatures(text: string): Uint8Array[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) throw new SignatureError('manifest.json.sig is empty');
  if (lines.length > MAX_SIGNATURE_LINES)
    throw new SignatureError(`manifest.json.sig has ${lines.length} lines, at most ${MAX_SIGNATURE_LINES} are allowed`);
  return lines.map((line, i) => {
    let sig: Uint8Array;
    try {
      sig = fromBase64(line);
    } catch {
      throw new SignatureError(`manifest.json.sig line ${i + 1} is not base64`);
    }
    if (sig.length !== 64) throw new SignatureError(`manifest.json.sig line ${i + 1} has ${sig.length} bytes, expected 64`);
    return sig;
  });
}

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

export const BAD_SIGNATURE = 'manifest.json.sig does not verify with the pinned public key';

/** One ed25519 check: the edge's is synchronous (@noble/curves), the browser's asynchronous (WebCrypto). */
export type VerifySignature = (bytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean | Promise<boolean>;

/**
 * Verify signature, freshness and version with the given ed25519 check; return the parsed manifest
 * or throw a named error. The rules are admitManifest's, as for the edge's acceptManifest.
 */
export async function acceptManifestWith(
  manifestBytes: Uint8Array,
  signatureText: string,
  opts: AcceptOptions,
  verify: VerifySignature,
): Promise<Manifest> {
  const signatures = decodeSignatures(signatureText); // a malformed file gets its own message
  let verified = false;
  for (const s of signatures) {
    if (await verify(manifestBytes, s, opts.publicKey)) {
      verified = true;
      break;
    }
  }
  if (!verified) throw new SignatureError(BAD_SIGNATURE);
  return admitManifest(manifestBytes, opts);
}

/** What follows a good signature: parse, then refuse an expired manifest (freeze) or a lower version (rollback). */
export function admitManifest(manifestBytes: Uint8Array, opts: Pick<AcceptOptions, 'now' | 'minVersion'>): Manifest {
  const manifest = parseManifest(utf8ToString(manifestBytes, 'manifest.json'));
  if (Date.parse(manifest.expires) <= opts.now.getTime()) {
    throw new ExpiredError(`manifest version ${manifest.version} expired at ${manifest.expires}`);
  }
  if (opts.minVersion !== undefined && manifest.version < opts.minVersion) {
    throw new RollbackError(`manifest version ${manifest.version} is older than version ${opts.minVersion} already accepted (rollback)`);
  }
  return manifest;
}

/** The error for a file whose size already differs from the manifest's (no need to hash it), if it does. */
export function sizeMismatch(manifest: Manifest, path: string, size: number, source = ''): IntegrityError | undefined {
  const expected = manifest.files[path];
  if (expected === undefined || expected.size === size) return undefined;
  return new IntegrityError(path, expected, { sha256: '(not hashed: size differs)', size }, source);
}

/** Throws IntegrityError unless `actual` (the bytes' sha256 and size) is exactly what the manifest lists for path. */
export function checkDigest(manifest: Manifest, path: string, actual: FileEntry, source = ''): void {
  const mismatch = sizeMismatch(manifest, path, actual.size, source);
  if (mismatch !== undefined) throw mismatch;
  const expected = manifest.files[path];
  if (expected === undefined || expected.sha256 !== actual.sha256) throw new IntegrityError(path, expected, actual, source);
}
