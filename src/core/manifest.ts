// The signed manifest: every file's sha256 and size, version, expiry, canonical URL, mirrors.
// Signing is ed25519 over the manifest's exact bytes. Pure: the clock comes in as a parameter.
import { ed25519 } from '@noble/curves/ed25519';
import type { MirrorRef } from './model.ts';
import { fromBase64, sha256Hex, toBase64, utf8ToBytes } from './bytes.ts';
import {
  MANIFEST_FORMAT,
  MANIFEST_PATH,
  MAX_SIGNATURE_LINES,
  SIGNATURE_PATH,
  decodeSignatures,
  type FileEntry,
  type Manifest,
} from './signed-manifest.ts';

export {
  ANNOUNCEMENT_COPIES,
  MANIFEST_FORMAT,
  MANIFEST_PATH,
  MAX_SIGNATURE_LINES,
  ManifestError,
  NEXT_MANIFEST_PATH,
  NEXT_SIGNATURE_PATH,
  SIGNATURE_PATH,
  SignatureError,
  decodeSignatures,
  isSafeSnapshotPath,
  parseManifest,
  withAnnouncement,
  type FileEntry,
  type Manifest,
} from './signed-manifest.ts';

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

export function encodeSignatures(signatures: readonly Uint8Array[]): string {
  return signatures
    .slice(0, MAX_SIGNATURE_LINES)
    .map((s) => `${toBase64(s)}\n`)
    .join('');
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
