// `ferry edge` as a real process: it keeps the highest accepted manifest version on disk by default
// (a restart does not reopen the door to a rollback), and it stops within 5 s on SIGTERM/SIGINT,
// sent to the primary or to the whole process group, after finishing the requests in flight.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKeyPem } from '../../src/core/manifest.ts';
import { startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startChild } from '../helpers/child-process.ts';

const key = testKeyPair(3);
const snapshot = (version: number): Map<string, Uint8Array> =>
  makeSignedSnapshot(
    {
      ...sampleFiles(),
      '/index.html': `<!doctype html><html><title>v${version}</title><body>front page of version ${version}</body></html>`,
      '/about.html': `<!doctype html><html><title>about</title><body>about page of version ${version}</body></html>`,
    },
    { version, keyPair: key, now: new Date(), expiresInMs: 86_400_000, mirrors: [], canonical: 'https://blog.example.org/' },
  );
const PAGE = '/2016/06/27th-anniversary.html';

let dir: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-edge-process-'));
  await writeFile(join(dir, 'ferry.pub'), encodePublicKeyPem(key.publicKey));
});
afterEach(() => {
  // Whatever a failed test left running: its whole process group, by the id we started it with.
  for (const child of started.splice(0)) {
    if (child.pid !== undefined && liveInGroup(child.pid).length > 0) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Edge {
  child: ChildProcess;
  url: string;
  err: () => string;
  exited: Promise<number | null>;
}

/** `ferry edge` in its own process group (as a shell or systemd starts it), port 0. */
async function startEdge(mirror: MirrorServer, extra: string[], env: Record<string, string> = {}): Promise<Edge> {
  const mirrorsFile = join(dir, `mirrors-${started.length}.json`);
  await writeFile(mirrorsFile, JSON.stringify({ mirrors: [{ id: 'm', kind: 'http', url: mirror.url, priority: 1 }] }));
  const { child } = startChild(
    process.execPath,
    ['bin/ferry.js', 'edge', '--mirrors', mirrorsFile, '--pubkey', join(dir, 'ferry.pub'), '--port', '0', ...extra],
    { timeoutMs: 60_000, env: { ...process.env, ...env } },
  );
  started.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Ferry edge listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`ferry edge exited ${code}: ${out}${err}`)));
  });
  return { child, url, err: () => err, exited };
}

/** Processes of a group that are still running (zombies waiting for a reaper do not count). */
function liveInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') pids.push(Number(name));
  }
  return pids;
}

async function waitGone(pgid: number, withinMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs + 2000) {
    if (liveInGroup(pgid).length === 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Infinity;
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ferry edge remembers the highest accepted version across restarts', () => {
  it('without --data: serves v2, restarts with mirrors holding only v1, and refuses v1', async () => {
    const v1 = snapshot(1);
    const v2 = snapshot(2);
    const mirror = await startMirrorServer(v2);
    const env = { XDG_STATE_HOME: join(dir, 'xdg-state') };
    try {
      const first = await startEdge(mirror, [], env);
      const page = await fetch(`${first.url}/index.html`);
      expect(await page.text()).toContain('front page of version 2');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      mirror.setSnapshot(v1);
      const second = await startEdge(mirror, [], env);
      const served: string[] = [];
      for (const path of ['/index.html', '/about.html', PAGE]) {
        const res = await fetch(`${second.url}${path}`);
        served.push(await res.text());
        // The copy of version 2 verified before the restart, or nothing.
        if (res.status === 200) expect(served.at(-1)).toBe(new TextDecoder().decode(v2.get(path)));
        else expect(res.status).toBe(503);
      }
      expect(served.join('\n')).not.toContain('version 1');
      const health: unknown = await (await fetch(`${second.url}/_ferry/health`)).json();
      expect(health).toMatchObject({ manifest: { version: 2 } });
      expect(second.err()).toMatch(/manifest version 1 is older than version 2 already accepted \(rollback\)/);
      expect(second.err()).toContain(join(dir, 'xdg-state', 'ferry', 'edge'));
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await mirror.close();
    }
  });

  it('--data DIR keeps the state there instead', async () => {
    const mirror = await startMirrorServer(snapshot(2));
    try {
      const edge = await startEdge(mirror, ['--data', join(dir, 'edge-data')], { XDG_STATE_HOME: join(dir, 'unused') });
      await (await fetch(`${edge.url}/index.html`)).arrayBuffer();
      edge.child.kill('SIGTERM');
      expect(await edge.exited).toBe(0);
      expect(await readFile(join(dir, 'edge-data', 'manifest.json'), 'utf8')).toContain('"version": 2');
      await expect(readdir(join(dir, 'unused'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await mirror.close();
    }
  });

  it('--help says where the state is kept by default', async () => {
    const r = await runCli(['edge', '--help']);
    expect(r.out).toContain('$XDG_STATE_HOME/ferry/edge/<key fingerprint>');
    expect(r.out).toContain('~/.local/state/ferry/edge/<key fingerprint>');
  });
});

describe('ferry edge --workers 2 stops within 5 s, finishing the request in flight', () => {
  it.each([
    ['SIGTERM to the primary', 'primary', 'SIGTERM'],
    ['SIGINT to the process group', 'group', 'SIGINT'],
    ['SIGTERM to the process group', 'group', 'SIGTERM'],
  ] as const)('%s', async (_name, target, signal) => {
    const snap = snapshot(1);
    const mirror = await startMirrorServer(snap, { delayMs: 1500 });
    try {
      const edge = await startEdge(mirror, ['--workers', '2', '--data', join(dir, `drain-${target}-${signal}`)]);
      const pid = edge.child.pid ?? -1;
      await waitFor(() => liveInGroup(pid).filter((p) => p !== pid).length >= 2); // both workers forked
      mirror.setFault('slow');
      const asked = mirror.requests.length;
      const inFlight = fetch(`${edge.url}${PAGE}`).then(async (r) => ({ status: r.status, body: new Uint8Array(await r.arrayBuffer()) }));
      await waitFor(() => mirror.requests.slice(asked).includes(PAGE)); // the edge is waiting for the mirror
      process.kill(target === 'primary' ? pid : -pid, signal);
      const gone = waitGone(pid, 5000);
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body).toEqual(snap.get(PAGE));
      expect(await gone).toBeLessThan(5000);
      expect(liveInGroup(pid)).toEqual([]);
      expect(await edge.exited).toBe(0);
    } finally {
      await mirror.close();
    }
  });
});
