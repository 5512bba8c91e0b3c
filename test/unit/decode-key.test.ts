// decodeKey: every form ferry keygen and OpenSSL write, and a message that says what a wrong key is.
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/core/bytes.ts';
import { KeyError, decodeKey, encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair } from '../../src/core/manifest.ts';

const pair = generateKeyPair(new Uint8Array(32).fill(7));
const privatePem = encodePrivateKeyPem(pair.privateKey);
const publicPem = encodePublicKeyPem(pair.publicKey);
const body = (pem: string): string => pem.split('\n')[1] ?? '';

describe('decodeKey', () => {
  it.each([
    ['public PEM', publicPem, 'public', pair.publicKey],
    ['public DER base64', body(publicPem), 'public', pair.publicKey],
    ['public raw base64', toBase64(pair.publicKey), 'public', pair.publicKey],
    ['private PEM', privatePem, 'private', pair.privateKey],
    ['private DER base64', body(privatePem), 'private', pair.privateKey],
  ] as const)('reads %s', (_name, text, kind, want) => {
    expect(decodeKey(text, kind)).toEqual(want);
  });

  it.each([
    ['a private PEM as public', privatePem, 'public', 'ferry.pub: this is a private key; pass the public key (ferry.pub) instead'],
    ['a private DER base64 as public', body(privatePem), 'public', 'ferry.pub: this is a private key'],
    ['a public PEM as private', publicPem, 'private', 'ferry.pub: this is a public key; pass the private key (ferry.key'],
    ['a public DER base64 as private', body(publicPem), 'private', 'ferry.pub: this is a public key'],
    ['the wrangler.toml placeholder', 'REPLACE_WITH_YOUR_PUBLIC_KEY_BASE64', 'public', 'ferry.pub: not a key: expected PEM'],
    ['16 bytes', toBase64(new Uint8Array(16)), 'public', 'ferry.pub: not an ed25519 public key (16 bytes; expected 32'],
  ] as const)('names %s', (_name, text, kind, message) => {
    expect(() => decodeKey(text, kind, 'ferry.pub')).toThrow(KeyError);
    expect(() => decodeKey(text, kind, 'ferry.pub')).toThrow(message);
  });
});
