// What the health checker probes: every mirror of the mirror list that readers can open (its
// http(s) address; an IPFS gateway mirror at its /ipfs/<cid>/ path) and the origin, when the
// source is an address on the web. A directory or KV mirror has no address of its own: the
// checker cannot probe it and never makes it canonical.
import { readFile } from 'node:fs/promises';
import { ORIGIN_TARGET } from '../core/health/observation.ts';
import { MIRROR_KINDS, parseMirrorsConfig, type MirrorConfig } from '../core/mirrors-config.ts';
import type { CheckTarget } from '../health/check-round.ts';

/** The targets of a mirror list file (required: the checker has nothing to do without one). */
export async function loadCheckTargets(mirrorsFile: string, origin?: string): Promise<CheckTarget[]> {
  let text: string;
  try {
    text = await readFile(mirrorsFile, 'utf8');
  } catch (e) {
    throw new Error(`${mirrorsFile}: ${(e as Error).message}`);
  }
  return checkTargets(parseMirrorsConfig(text, mirrorsFile, Object.keys(MIRROR_KINDS)), origin);
}

export function checkTargets(mirrors: readonly MirrorConfig[], origin?: string): CheckTarget[] {
  const targets: CheckTarget[] = mirrors.flatMap((m) => {
    const url = probeUrl(m);
    return url === undefined ? [] : [{ id: m.id, url, role: 'mirror' as const, priority: m.priority, canonicalAllowed: true }];
  });
  if (origin !== undefined && /^https?:\/\//i.test(origin)) {
    targets.push({ id: ORIGIN_TARGET, url: origin, role: 'origin', priority: Number.MAX_SAFE_INTEGER, canonicalAllowed: false });
  }
  return targets;
}

function probeUrl(m: MirrorConfig): string | undefined {
  if (!('url' in m)) return undefined;
  if ('cid' in m) return `${m.url}ipfs/${m.cid}/`;
  return m.url;
}
