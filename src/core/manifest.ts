// The signed manifest: every file's sha256 and size, version, expiry, canonical URL, mirrors.
// Signing is ed25519 over the manifest's exact bytes. Pure: the clock comes in as a parameter.
import { ed25519 } from '@noble/curves/ed25519';
import type { MirrorRef } from './model.ts';
import { fromBase64, sha256Hex, toBase64, utf8ToBytes } from './bytes.ts';
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

export interface ManifestHead {
  version: number;
  created: Date;
  expires: Date;
  canonical: string;
  mirrors: readonly MirrorRef[];
}

export interface ManifestInput extends ManifestHead {
  files: ReadonlyMap<string, Uint8Array>;
}

/** The digest the manifest records for a file. */
export function digestOf(bytes: Uint8Array): FileEntry {
  return { sha256: sha256Hex(bytes), size: bytes.length };
}

export function createManifest(input: ManifestInput): Manifest {
  const digests = new Map<string, FileEntry>();
  for (const [path, bytes] of input.files) digests.set(path, digestOf(bytes));
  return createManifestFromDigests(input, digests);
}

/** For a snapshot streamed to disk: the digests were taken as each file went by. */
export function createManifestFromDigests(head: ManifestHead, digests: ReadonlyMap<string, FileEntry>): Manifest {
  const files: Record<string, FileEntry> = {};
  for (const path of [...digests.keys()].sort()) {
    if (path === MANIFEST_PATH || path === SIGNATURE_PATH) continue;
    const entry = digests.get(path);
    if (entry !== undefined) files[path] = { sha256: entry.sha256, size: entry.size };
  }
  return {
    format: MANIFEST_FORMAT,
    version: head.version,
    created: head.created.toISOString(),
    expires: head.expires.toISOString(),
    canonical: head.canonical,
    mirrors: head.mirrors.map((m) => ({ ...m })),
    files,
  };
}

/** The manifest's bytes: stable key order, one file per line so diffs stay readable. */
export function serializeManifest(manifest: Manifest): Uint8Array {
  const { files, ...head } = manifest;
  const lines = Object.keys(files)
    .sort()
    .map((p) => `    ${JSON.stringify(p)}: ${JSON.stringify(files[p])}`);
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return utf8ToBytes(`${headJson},\n  "files": {\n${lines.join(',\n')}\n  }\n}\n`);
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

// ---- keys and signatures -------------------------------------------------------------

// DER prefixes for ed25519 keys (RFC 8410), so keys interoperate with OpenSSL.
const PKCS8_PREFIX = '302e020100300506032b657004220420';
const SPKI_PREFIX = '302a300506032b6570032100';

export interface KeyPair {
  /** 32-byte seed. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateKeyPair(randomBytes: Uint8Array): KeyPair {
  if (randomBytes.length !== 32) throw new Error('generateKeyPair needs 32 random bytes');
  const privateKey = Uint8Array.from(randomBytes);
  return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(privateKey);
}

export function signBytes(bytes: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return ed25519.sign(bytes, privateKey);
}

export function verifyBytes(bytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, bytes, publicKey);
  } catch {
    return false;
  }
}

/**
 * manifest.json.sig holds one base64 ed25519 signature per line: the current manifest's first,
 * then those of a few earlier versions. A mirror is updated signature file first, manifest second,
 * so a reader (or a crash) between the two writes still finds a signature for the manifest it
 * sees. Every line is a signature by the pinned key over some manifest's exact bytes; accepting
 * any of them is as safe as accepting one (rollback is stopped by the version check).
 */
export const MAX_SIGNATURE_LINES = 8;

export function encodeSignatures(signatures: readonly Uint8Array[]): string {
  return signatures
    .slice(0, MAX_SIGNATURE_LINES)
    .map((s) => `${toBase64(s)}\n`)
    .join('');
}

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

/** True when some line of the signature file is the pinned key's signature over bytes. */
export function verifySignatureText(bytes: Uint8Array, signatureText: string, publicKey: Uint8Array): boolean {
  let signatures: Uint8Array[];
  try {
    signatures = decodeSignatures(signatureText);
  } catch {
    return false;
  }
  return signatures.some((s) => verifyBytes(bytes, s, publicKey));
}

export function encodePrivateKeyPem(privateKey: Uint8Array): string {
  return pem('PRIVATE KEY', hexToBytes(PKCS8_PREFIX), privateKey);
}

export function encodePublicKeyPem(publicKey: Uint8Array): string {
  return pem('PUBLIC KEY', hexToBytes(SPKI_PREFIX), publicKey);
}

/** A key that cannot be used as given: the message says what it is and what to pass instead. */
export class KeyError extends Error {
  override name = 'KeyError';
}

/**
 * Accepts PEM (PKCS#8 / SPKI, as OpenSSL writes them) or bare base64 of the 32 raw bytes (or of
 * the DER). `where` names where the text came from (a file, a flag, a variable) in errors.
 */
export function decodeKey(text: string, kind: 'private' | 'public', where = `${kind} key`): Uint8Array {
  const own = hexToBytes(kind === 'private' ? PKCS8_PREFIX : SPKI_PREFIX);
  const other = hexToBytes(kind === 'private' ? SPKI_PREFIX : PKCS8_PREFIX);
  const wrongKind = (): KeyError =>
    new KeyError(
      kind === 'public'
        ? `${where}: this is a private key; pass the public key (ferry.pub) instead, and keep the private key (ferry.key) secret`
        : `${where}: this is a public key; pass the private key (ferry.key, written by ferry keygen) instead`,
    );
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1] ?? '');
  if (labels.some((l) => l.includes(kind === 'public' ? 'PRIVATE KEY' : 'PUBLIC KEY'))) throw wrongKind();
  const body = text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').trim();
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(body);
  } catch {
    throw new KeyError(
      `${where}: not a key: expected PEM (-----BEGIN ${kind.toUpperCase()} KEY-----, as ferry keygen writes it) or base64 of the 32-byte ed25519 key`,
    );
  }
  if (bytes.length === 32) return bytes;
  const starts = (prefix: Uint8Array): boolean => bytes.length === prefix.length + 32 && prefix.every((b, i) => bytes[i] === b);
  if (starts(own)) return bytes.slice(own.length);
  if (starts(other)) throw wrongKind();
  throw new KeyError(`${where}: not an ed25519 ${kind} key (${bytes.length} bytes; expected 32, or PEM as ferry keygen writes it)`);
}

export function keyFingerprint(publicKey: Uint8Array): string {
  return sha256Hex(publicKey).slice(0, 16);
}

function pem(label: string, prefix: Uint8Array, key: Uint8Array): string {
  const der = new Uint8Array(prefix.length + key.length);
  der.set(prefix);
  der.set(key, prefix.length);
  return `-----BEGIN ${label}-----\n${toBase64(der)}\n-----END ${label}-----\n`;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
