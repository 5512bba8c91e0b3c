// Where the shared test fixtures are: ../shared/fixtures beside the repository (as in CI and the
// workspace), or FERRY_FIXTURES when set.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

function locate(): string {
  const fromEnv = process.env.FERRY_FIXTURES;
  const candidates = [fromEnv, join(REPO, '../shared/fixtures')].filter((c): c is string => c !== undefined && c !== '');
  const found = candidates.find((c) => existsSync(join(c, 'blogger-clean')));
  if (found === undefined) {
    throw new Error(`shared fixtures not found (looked in ${candidates.join(', ')}); set FERRY_FIXTURES to the fixtures folder`);
  }
  return found;
}

export const FIXTURES = locate();
export const CLEAN = join(FIXTURES, 'blogger-clean');
export const COMPROMISED = join(FIXTURES, 'blogger-compromised');
