// Signing keys on disk: ferry.key (PKCS#8 PEM, mode 0600) and ferry.pub (SPKI PEM), readable by
// OpenSSL too.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeKey, encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair, publicKeyOf } from '../core/manifest.ts';
import { writeFileAtomic } from '../adapters/node/atomic-file.ts';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

export async function writeKeyPair(
  dir: string,
  { overwrite = false } = {},
): Promise<{ keyFile: string; pubFile: string; publicKey: Uint8Array }> {
  const keyFile = join(dir, 'ferry.key');
  const pubFile = join(dir, 'ferry.pub');
  if (!overwrite && (await exists(keyFile))) {
    throw new KeyFileError(`${keyFile} already exists; refusing to overwrite a signing key (pass --force to replace it)`);
  }
  await mkdir(dir, { recursive: true });
  const pair = generateKeyPair(randomBytes(32));
  await writeFileAtomic(keyFile, encodePrivateKeyPem(pair.privateKey), 0o600);
  await chmod(keyFile, 0o600);
  await writeFileAtomic(pubFile, encodePublicKeyPem(pair.publicKey), 0o644);
  return { keyFile, pubFile, publicKey: pair.publicKey };
}

export async function readPrivateKey(file: string): Promise<Uint8Array> {
  return decodeKey(await readKeyText(file), 'private', file);
}

export async function readPublicKey(file: string): Promise<Uint8Array> {
  return decodeKey(await readKeyText(file), 'public', file);
}

/** The key in dir, created on first use (the embedded default). */
export async function ensureKeyPair(dir: string): Promise<{ keyFile: string; pubFile: string; created: boolean }> {
  const keyFile = join(dir, 'ferry.key');
  const pubFile = join(dir, 'ferry.pub');
  if (await exists(keyFile)) {
    if (!(await exists(pubFile))) {
      const pub = publicKeyOf(await readPrivateKey(keyFile));
      await writeFileAtomic(pubFile, encodePublicKeyPem(pub));
    }
    return { keyFile, pubFile, created: false };
  }
  await writeKeyPair(dir);
  return { keyFile, pubFile, created: true };
}

async function readKeyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyFileError(
      code === 'ENOENT' ? `${file}: no such key file (create one with: ferry keygen --out DIR)` : `${file}: ${(e as Error).message}`,
    );
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
