// The Worker's answer when its vars are wrong says which var and how to fix it: the placeholder
// key wrangler.toml ships with, bad JSON in FERRY_MIRRORS, a private key given as the public one.
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker/index.ts';
import { toBase64 } from '../../src/core/bytes.ts';
import { encodePrivateKeyPem } from '../../src/core/manifest.ts';
import { testKeyPair } from '../helpers/signed-snapshot.ts';

async function answer(vars: Partial<Cloudflare.Env>): Promise<{ status: number; text: string }> {
  const res = await worker.fetch(new Request('https://blog.example.org/'), { ...env, ...vars }, createExecutionContext());
  return { status: res.status, text: await res.text() };
}

describe('Worker misconfiguration', () => {
  it('the placeholder key names FERRY_PUBLIC_KEY and says how to set it', async () => {
    const r = await answer({ FERRY_PUBLIC_KEY: 'REPLACE_WITH_YOUR_PUBLIC_KEY_BASE64' });
    expect(r.status).toBe(500);
    expect(r.text).toContain('FERRY_PUBLIC_KEY is still the placeholder');
    expect(r.text).toContain('npm run dev:worker');
    expect(r.text).toContain('.dev.vars');
    expect(r.text).toContain('wrangler.toml [vars]');
  });

  it('bad JSON in FERRY_MIRRORS names the variable', async () => {
    const r = await answer({ FERRY_MIRRORS: '{"mirrors":[{"id":"kv",}]}' });
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/^Ferry edge is misconfigured: FERRY_MIRRORS: not valid JSON/);
  });

  it('a private key as FERRY_PUBLIC_KEY says so, in PEM and base64', async () => {
    const pem = encodePrivateKeyPem(testKeyPair(1).privateKey);
    const b64 = pem.split('\n')[1] ?? '';
    for (const value of [pem, b64]) {
      const r = await answer({ FERRY_PUBLIC_KEY: value });
      expect(r.status).toBe(500);
      expect(r.text).toContain('FERRY_PUBLIC_KEY: this is a private key');
      expect(r.text).not.toContain(toBase64(testKeyPair(1).privateKey));
    }
  });
});
