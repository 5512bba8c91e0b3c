// `ferry agent` in-process over a real SQLite file: what it prints, and the errors a maintainer
// meets (a missing flag, a name or key enrolled twice, a private key given as --pubkey, removing
// someone who is not there).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair, keyFingerprint } from '../../src/core/manifest.ts';
import { runCli } from '../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-agent-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const a = generateKeyPair(new Uint8Array(32).fill(21));
const b = generateKeyPair(new Uint8Array(32).fill(22));
writeFileSync(join(dir, 'a.pub'), encodePublicKeyPem(a.publicKey));
writeFileSync(join(dir, 'b.pub'), encodePublicKeyPem(b.publicKey));
writeFileSync(join(dir, 'a.key'), encodePrivateKeyPem(a.privateKey));
const agent = (...args: string[]) => runCli(['agent', ...args], { cwd: dir });

describe('ferry agent', () => {
  it('enrolls into .ferry/health.db by default, lists and removes', async () => {
    expect((await agent('list')).out).toContain('no agents enrolled');
    expect(await agent('enroll', '--name', 'sh-1', '--country', 'CN', '--pubkey', 'a.pub')).toMatchObject({ code: 0 });
    expect(existsSync(join(dir, '.ferry', 'health.db'))).toBe(true);
    expect(await agent('enroll', '--name', 'teh-1', '--country', 'IR', '--pubkey', 'b.pub')).toMatchObject({ code: 0 });
    const listed = await agent('list');
    expect(
      listed.out
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).slice(0, 3)),
    ).toEqual([
      ['sh-1', 'CN', keyFingerprint(a.publicKey)],
      ['teh-1', 'IR', keyFingerprint(b.publicKey)],
    ]);
    expect(await agent('remove', 'teh-1')).toMatchObject({ code: 0, out: "removed agent 'teh-1': its reports are no longer accepted" });
    expect(await agent('remove', 'teh-1')).toMatchObject({
      code: 1,
      err: "no agent named 'teh-1' is enrolled (ferry agent list shows them)",
    });
    const other = await runCli(['agent', 'list', '--json', '--state', join(dir, 'elsewhere.db')], { cwd: dir });
    expect(JSON.parse(other.out)).toEqual({ agents: [] });
  });

  it.each<[string, string[], number, RegExp]>([
    ['no action', [], 2, /say what to do: enroll, list or remove/],
    ['an unknown action', ['add'], 2, /unknown action 'add'/],
    ['no --country', ['enroll', '--name', 'x', '--pubkey', 'a.pub'], 2, /--country CC is required/],
    ['no --pubkey', ['enroll', '--name', 'x', '--country', 'CN'], 2, /--pubkey FILE is required/],
    [
      'the same name twice',
      ['enroll', '--name', 'sh-1', '--country', 'CN', '--pubkey', 'b.pub'],
      1,
      /an agent named 'sh-1' is enrolled already/,
    ],
    [
      'the same key twice',
      ['enroll', '--name', 'sh-2', '--country', 'CN', '--pubkey', 'a.pub'],
      1,
      /this key is enrolled already, as 'sh-1'/,
    ],
    ['a private key as --pubkey', ['enroll', '--name', 'sh-3', '--country', 'CN', '--pubkey', 'a.key'], 1, /a\.key: this is a private key/],
    ['a missing key file', ['enroll', '--name', 'sh-3', '--country', 'CN', '--pubkey', 'nope.pub'], 1, /nope\.pub: no such key file/],
    [
      'a lower-case country',
      ['enroll', '--name', 'sh-3', '--country', 'cn', '--pubkey', 'b.pub'],
      1,
      /two-letter ISO 3166-1 code in capitals/,
    ],
  ])('refuses %s', async (_name, args, code, message) => {
    const r = await agent(...args);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });
});
