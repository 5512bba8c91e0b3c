// What the next snapshot signs, given what the health checker decided: the canonical address
// (rel=canonical in pages, feed links, the top of the mirror list, the manifest's canonical) and
// the public mirror list, without the mirrors that served tampered bytes. Pure; the rotation job
// compares it with what the current snapshot signed and republishes when they differ.
import type { MirrorRef } from '../model.ts';
import type { Verdict } from './observation.ts';

export interface PublishChoice {
  /** The canonical base URL (ends with '/'), or undefined to keep the configured one. */
  canonical: string | undefined;
  /** The mirrors readers are told about, in priority order. */
  mirrors: MirrorRef[];
  /** Mirrors left out of the list, with why. */
  withheld: Array<{ id: string; state: Verdict }>;
}

/** Never advertised to readers: a mirror that served bytes the signature does not cover. */
const WITHHELD: ReadonlySet<Verdict> = new Set(['compromised']);

export function choosePublish(
  mirrors: readonly MirrorRef[],
  canonicalId: string | undefined,
  stateOf: (id: string) => Verdict | undefined,
): PublishChoice {
  const withheld: PublishChoice['withheld'] = [];
  const listed = mirrors.filter((m) => {
    const state = stateOf(m.id);
    if (state !== undefined && WITHHELD.has(state)) {
      withheld.push({ id: m.id, state });
      return false;
    }
    return true;
  });
  const chosen = canonicalId === undefined ? undefined : listed.find((m) => m.id === canonicalId);
  return { canonical: chosen === undefined ? undefined : withSlash(chosen.url), mirrors: listed, withheld };
}

/** What a snapshot signed, as far as rotation cares. */
export interface SignedChoice {
  canonical: string;
  mirrorIds: readonly string[];
}

/** Why the current snapshot no longer matches the choice, or undefined when it does. */
export function publishDrift(signed: SignedChoice | undefined, choice: PublishChoice): string | undefined {
  if (signed === undefined) return 'no snapshot is signed yet';
  if (choice.canonical !== undefined && withSlash(signed.canonical) !== choice.canonical) {
    return `the canonical moves from ${signed.canonical} to ${choice.canonical}`;
  }
  const gone = signed.mirrorIds.filter((id) => choice.withheld.some((w) => w.id === id));
  if (gone.length > 0) return `the mirror list drops ${gone.map((id) => `'${id}'`).join(', ')} (compromised)`;
  const added = choice.mirrors.filter((m) => !signed.mirrorIds.includes(m.id));
  if (added.length > 0) return `the mirror list adds ${added.map((m) => `'${m.id}'`).join(', ')}`;
  return undefined;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
