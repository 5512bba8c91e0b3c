// What `ferry verify --state FILE` remembers between runs: the highest manifest version it accepted
// for one publisher key, so a mirror that later serves an older signed manifest is a rollback, as
// the edge sees it. Plain JSON, parsed from unknown; written atomically.
import { readFile } from 'node:fs/promises';
import { keyFingerprint } from '../core/manifest.ts';
import { writeFileAtomic } from '../adapters/node/atomic-file.ts';

export const VERIFY_STATE_FORMAT = 'ferry-verify-state/1';

export interface VerifyState {
  /** keyFingerprint of the public key the version was accepted for. */
  key: string;
  version: number;
  /** Where it was seen, and when (ISO 8601). */
  location: string;
  seen: string;
}

export class VerifyStateError extends Error {
  override name = 'VerifyStateError';
}

/** The state in file for publicKey; undefined when the file does not exist yet. */
export async function readVerifyState(file: string, publicKey: Uint8Array): Promise<VerifyState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VerifyStateError(`${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new VerifyStateError(
      `${file}: not valid JSON (${(e as Error).message}); it is written by ferry verify --state: restore it or remove it`,
    );
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !('format' in raw) ||
    raw.format !== VERIFY_STATE_FORMAT ||
    !('key' in raw) ||
    typeof raw.key !== 'string' ||
    !('version' in raw) ||
    typeof raw.version !== 'number' ||
    !Number.isSafeInteger(raw.version) ||
    raw.version < 1
  ) {
    throw new VerifyStateError(`${file}: not a ${VERIFY_STATE_FORMAT} file (format, key, version); restore it or remove it`);
  }
  const key = keyFingerprint(publicKey);
  if (raw.key !== key) {
    throw new VerifyStateError(
      `${file} remembers versions signed by key ${raw.key}, not by this --pubkey (${key}); give each publisher key its own --state file`,
    );
  }
  const location = 'location' in raw && typeof raw.location === 'string' ? raw.location : '';
  const seen = 'seen' in raw && typeof raw.seen === 'string' ? raw.seen : '';
  return { key, version: raw.version, location, seen };
}

export async function writeVerifyState(file: string, state: VerifyState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ format: VERIFY_STATE_FORMAT, ...state }, null, 2)}\n`);
}
