// Reading the signed snapshot through the pool: the manifest (signature against the pinned key,
// no rollback, no freeze; refreshed so new versions are picked up without a restart) and files
// (hedged, every byte checked against the manifest before anyone sees it).
import { sha256Hex, utf8ToString } from '../core/bytes.ts';
import {
  MANIFEST_PATH,
  SIGNATURE_PATH,
  NEXT_MANIFEST_PATH,
  NEXT_SIGNATURE_PATH,
  SignatureError,
  parseManifest,
  verifySignatureText,
  type FileEntry,
  type Manifest,
} from '../core/manifest.ts';
import { acceptManifest, checkFile, ExpiredError, IntegrityError, RollbackError } from '../core/verify.ts';
import type { EdgeStateStore } from '../ports/edge-state.ts';
import { MirrorError, type Mirror, type MirrorResponse } from '../ports/mirror.ts';
import { AttemptError, type MirrorPool } from './mirror-pool.ts';

export interface AcceptedManifest {
  manifest: Manifest;
  bytes: Uint8Array;
  signature: string;
  /** Which mirror it came from ('state' when loaded from the state store). */
  source: string;
}

export interface VerifiedFile {
  path: string;
  entry: FileEntry;
  body: Uint8Array;
  /** The manifest it was verified against (may be newer than the one asked with: see getFile). */
  accepted: AcceptedManifest;
  mirror: string;
}

interface SignedPair {
  manifest: Manifest;
  bytes: Uint8Array;
  signature: string;
}

export interface ReaderTimeouts {
  /** One request to one mirror, ms. */
  requestMs: number;
  /** A whole hedged file read, ms. */
  fileDeadlineMs: number;
  /** A whole manifest refresh, ms. */
  manifestDeadlineMs: number;
  /** After the first valid manifest, how long to wait for others (a newer version), ms. */
  manifestGraceMs: number;
  /** Largest manifest accepted, bytes. */
  manifestMaxBytes: number;
}

export const DEFAULT_READER_TIMEOUTS: ReaderTimeouts = {
  requestMs: 4000,
  fileDeadlineMs: 6000,
  manifestDeadlineMs: 4000,
  manifestGraceMs: 50,
  manifestMaxBytes: 16 * 1024 * 1024,
};

/** How a missing manifest is looked for again: after each empty lookup, wait, doubling up to maxMs. */
export interface ManifestRetryPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_MANIFEST_RETRY: ManifestRetryPolicy = { initialMs: 250, maxMs: 10_000 };

export type ReaderEvent =
  { type: 'manifest-accepted'; version: number; source: string } | { type: 'manifest-rejected'; mirror: string; error: string };

export interface SnapshotReader {
  /** The last accepted manifest (loaded from the state store or the mirrors on first use). */
  current(): AcceptedManifest | undefined;
  /**
   * The manifest, loaded on first use (state store, then mirrors; every caller waits for that
   * first lookup). While none was found, a later call looks again (one lookup at a time, the
   * caller that starts it waits for it) once the backoff has passed; during the backoff, or while
   * another caller's lookup runs, it answers undefined at once, so a dead pool never stalls readers.
   */
  ensure(): Promise<AcceptedManifest | undefined>;
  /** With no manifest yet: ms until the next lookup may start (0 when one may start now); else undefined. */
  retryAfterMs(): number | undefined;
  /** Ask every usable mirror for its manifest; adopt the highest valid version. Never overlaps itself. */
  refresh(): Promise<AcceptedManifest | undefined>;
  /** Read one path from the mirrors and verify it; throws UnavailableError when none delivers. */
  getFile(path: string): Promise<VerifiedFile>;
}

export interface SnapshotReaderOptions {
  pool: MirrorPool;
  publicKey: Uint8Array;
  now: () => Date;
  store: EdgeStateStore;
  timeouts?: Partial<ReaderTimeouts>;
  retry?: ManifestRetryPolicy;
  /** Monotonic milliseconds, for the retry backoff. */
  clock?: () => number;
  onEvent?: (event: ReaderEvent) => void;
}

export function createSnapshotReader({
  pool,
  publicKey,
  now,
  store,
  timeouts: partial = {},
  retry = DEFAULT_MANIFEST_RETRY,
  clock = () => performance.now(),
  onEvent = () => undefined,
}: SnapshotReaderOptions): SnapshotReader {
  const t: ReaderTimeouts = { ...DEFAULT_READER_TIMEOUTS, ...partial };
  let current: AcceptedManifest | undefined;
  let loaded: Promise<AcceptedManifest | undefined> | undefined;
  /** A later lookup while there is still no manifest (at most one at a time), and its backoff. */
  let lookup: Promise<AcceptedManifest | undefined> | undefined;
  let retryAt = 0;
  let retryDelayMs = retry.initialMs;
  let refreshing: Promise<AcceptedManifest | undefined> | undefined;

  /** Adopt a candidate if it is newer than what we have; persist it. */
  const adopt = async (candidate: AcceptedManifest): Promise<void> => {
    if (current !== undefined && candidate.manifest.version <= current.manifest.version) return;
    current = candidate;
    onEvent({ type: 'manifest-accepted', version: candidate.manifest.version, source: candidate.source });
    if (candidate.source !== 'state') await store.saveManifest({ manifest: candidate.bytes, signature: candidate.signature });
  };

  const loadFromStore = async (): Promise<void> => {
    const stored = await store.loadManifest();
    if (stored === undefined) return;
    // The stored manifest may have expired: it still sets the rollback floor and lists the mirrors,
    // and its files may be served (as stale). Only its signature is required.
    const sig = stored.signature;
    if (sig === undefined || !verifySignatureText(stored.manifest, sig, publicKey)) return;
    const manifest = parseManifest(utf8ToString(stored.manifest, 'stored manifest.json'));
    await adopt({ manifest, bytes: stored.manifest, signature: stored.signature, source: 'state' });
  };

  /** Fetch and check one mirror's manifest. Classifies what is wrong for the pool. */
  const fetchManifest = async (mirror: Mirror, signal: AbortSignal): Promise<AcceptedManifest> => {
    const once = async (): Promise<{ bytes: Uint8Array; signature: string }> => {
      const opts = { signal, timeoutMs: t.requestMs };
      const [m, s] = await Promise.all([
        mirror.get(MANIFEST_PATH, { ...opts, maxBytes: t.manifestMaxBytes }),
        mirror.get(SIGNATURE_PATH, { ...opts, maxBytes: 1024 }),
      ]);
      if (!m.found || !s.found) throw new AttemptError({ type: 'failure', error: 'has no manifest.json / manifest.json.sig' });
      return { bytes: m.body, signature: new TextDecoder().decode(s.body) };
    };
    const check = (got: { bytes: Uint8Array; signature: string }): AcceptedManifest => {
      const manifest = acceptManifest(got.bytes, got.signature, {
        publicKey,
        now: now(),
        ...(current ? { minVersion: current.manifest.version } : {}),
      });
      return { manifest, bytes: got.bytes, signature: got.signature, source: mirror.id };
    };
    let got = await once();
    try {
      return check(got);
    } catch (e) {
      if (e instanceof SignatureError) {
        // A mirror mid-publish can pair a new manifest with the old signature for a moment:
        // read both again once before calling it compromised.
        got = await once();
        try {
          return check(got);
        } catch (e2) {
          throw classifyManifestError(e2);
        }
      }
      throw classifyManifestError(e);
    }
  };

  const refreshNow = async (): Promise<AcceptedManifest | undefined> => {
    const usable = pool.ordered();
    if (usable.length === 0) return current;
    await new Promise<void>((resolve) => {
      let pending = usable.length;
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const controller = new AbortController();
      const done = (): void => {
        if (graceTimer !== undefined) clearTimeout(graceTimer);
        clearTimeout(deadline);
        resolve();
      };
      const deadline = setTimeout(() => {
        controller.abort();
        done();
      }, t.manifestDeadlineMs);
      for (const mirror of usable) {
        const t0 = performance.now();
        fetchManifest(mirror, controller.signal)
          .then(async (candidate) => {
            pool.observe(mirror.id, { type: 'success', latencyMs: performance.now() - t0, what: 'manifest' });
            await adopt(candidate);
            graceTimer ??= setTimeout(done, t.manifestGraceMs);
          })
          .catch((e: unknown) => {
            const obs = e instanceof AttemptError ? e.observation : toFailure(e, controller.signal.aborted);
            pool.observe(mirror.id, obs);
            onEvent({ type: 'manifest-rejected', mirror: mirror.id, error: obs.error });
          })
          .finally(() => {
            pending -= 1;
            if (pending === 0) done();
          })
          .catch(() => undefined);
      }
    });
    return current;
  };

  const refresh = (): Promise<AcceptedManifest | undefined> => {
    refreshing ??= refreshNow().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  /** One look for a manifest: the state store (another process may have saved one), then the mirrors. */
  const lookFor = async (): Promise<AcceptedManifest | undefined> => {
    await loadFromStore().catch(() => undefined);
    const expired = current === undefined || Date.parse(current.manifest.expires) <= now().getTime();
    // A stored manifest that is still valid serves at once; the mirrors are asked meanwhile.
    if (expired) await refresh();
    else void refresh().catch(() => undefined);
    if (current === undefined) {
      retryAt = clock() + retryDelayMs;
      retryDelayMs = Math.min(retry.maxMs, retryDelayMs * 2);
    }
    return current;
  };

  const ensure = (): Promise<AcceptedManifest | undefined> => {
    if (loaded === undefined) {
      loaded = lookFor();
      return loaded;
    }
    if (current !== undefined) return Promise.resolve(current);
    return loaded.then(() => {
      if (current !== undefined || lookup !== undefined || clock() < retryAt) return current;
      lookup = lookFor().finally(() => {
        lookup = undefined;
      });
      return lookup;
    });
  };

  const retryAfterMs = (): number | undefined => {
    if (current !== undefined) return undefined;
    return lookup !== undefined ? retryDelayMs : Math.max(0, retryAt - clock());
  };

  const getFile = async (path: string): Promise<VerifiedFile> => {
    const asked = current;
    const entry = asked?.manifest.files[path];
    if (asked === undefined || entry === undefined) throw new Error(`${path} is not in the manifest`);
    const attempt = async (mirror: Mirror, signal: AbortSignal): Promise<VerifiedFile> => {
      let res: MirrorResponse;
      try {
        // Asked with the signed size: an answer that does not fit it is no longer, whatever it holds.
        res = await mirror.get(path, { signal, maxBytes: entry.size, timeoutMs: t.requestMs });
      } catch (e) {
        if (!(e instanceof MirrorError && e.problem === 'too-large')) throw e;
        return recheck(
          mirror,
          path,
          undefined,
          `mirror '${mirror.id}': ${path} is bigger than the ${entry.size} bytes the manifest signs (${e.message})`,
        );
      }
      if (!res.found) throw new AttemptError({ type: 'failure', error: `${path}: not found (mirror outdated?)` });
      try {
        checkFile(asked.manifest, path, res.body, `mirror '${mirror.id}'`);
        return { path, entry, body: res.body, accepted: asked, mirror: mirror.id };
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        return recheck(mirror, path, res.body, e.message);
      }
    };
    return (await pool.race(attempt, { deadlineMs: t.fileDeadlineMs })).value;
  };

  /**
   * Bytes that do not match our manifest (`body` undefined: more bytes than it signs). Before
   * calling the mirror compromised, look at ITS manifest: mid-publish it may already serve a newer
   * signed version (adopt it, serve the bytes if they match it), or it may lag behind (bytes match
   * an older signed manifest: outdated, not compromised). Anything else is tampering.
   * The recheck has its own deadline and is not cancelled when another mirror wins the race, so its
   * verdict is still recorded; a recheck that could not ask (timed out, unreachable) proves nothing.
   */
  const recheck = async (mirror: Mirror, path: string, got: Uint8Array | undefined, mismatch: string): Promise<VerifiedFile> => {
    try {
      return await explain(mirror, AbortSignal.timeout(t.fileDeadlineMs), path, got, mismatch);
    } catch (e) {
      if (e instanceof MirrorError && (e.problem === 'aborted' || e.problem === 'timeout' || e.problem === 'unreachable')) {
        throw new AttemptError({ type: 'unreachable', error: `${mismatch}; could not read its manifest to tell why: ${e.message}` });
      }
      throw e;
    }
  };

  const explain = async (
    mirror: Mirror,
    signal: AbortSignal,
    path: string,
    got: Uint8Array | undefined,
    mismatch: string,
  ): Promise<VerifiedFile> => {
    const ours = current;
    const theirs = await readPair(mirror, signal, MANIFEST_PATH, SIGNATURE_PATH);
    const body = got ?? (await readAgain(mirror, signal, path, theirs));
    if (theirs !== undefined && ours !== undefined && body !== undefined && matches(theirs.manifest.files[path], body)) {
      const fresh = Date.parse(theirs.manifest.expires) > now().getTime();
      if (theirs.manifest.version > ours.manifest.version && fresh) {
        const accepted = { ...theirs, source: mirror.id };
        await adopt(accepted);
        const entry = theirs.manifest.files[path];
        if (entry !== undefined) return { path, entry, body, accepted, mirror: mirror.id };
      }
      throw new AttemptError({
        type: 'failure',
        error: `${path}: serves manifest version ${theirs.manifest.version}${fresh ? '' : ' (expired)'}, not version ${ours.manifest.version} (outdated)`,
      });
    }
    // Updated in place, the mirror may be between its first new file and its new manifest: it
    // announced that manifest (signed, newer) beforehand, and the bytes match it.
    const next = await readPair(mirror, signal, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH);
    const nextBody = body ?? (await readAgain(mirror, signal, path, next));
    if (
      next !== undefined &&
      ours !== undefined &&
      nextBody !== undefined &&
      next.manifest.version > ours.manifest.version &&
      matches(next.manifest.files[path], nextBody)
    ) {
      throw new AttemptError({ type: 'failure', error: `${path}: publishing version ${next.manifest.version} (not complete yet)` });
    }
    throw new AttemptError({ type: 'compromised', error: mismatch });
  };

  /**
   * The body refused as bigger than our manifest signs, read once more within the size the
   * mirror's own signed manifest gives it (when that one is bigger), to compare with that manifest.
   */
  const readAgain = async (
    mirror: Mirror,
    signal: AbortSignal,
    path: string,
    pair: SignedPair | undefined,
  ): Promise<Uint8Array | undefined> => {
    const size = pair?.manifest.files[path]?.size;
    const ours = current?.manifest.files[path]?.size;
    if (size === undefined || ours === undefined || size <= ours) return undefined;
    try {
      const res = await mirror.get(path, { signal, maxBytes: size, timeoutMs: t.requestMs });
      return res.found ? res.body : undefined;
    } catch (e) {
      if (e instanceof MirrorError && e.problem === 'too-large') return undefined;
      throw e;
    }
  };

  /**
   * A mirror's manifest and signature at these paths, if present and signed by the pinned key.
   * A transport failure is thrown (it proves nothing); anything else unusable is undefined.
   */
  const readPair = async (
    mirror: Mirror,
    signal: AbortSignal,
    manifestPath: string,
    signaturePath: string,
  ): Promise<SignedPair | undefined> => {
    try {
      const [m, s] = await Promise.all([
        mirror.get(manifestPath, { signal, timeoutMs: t.requestMs, maxBytes: t.manifestMaxBytes }),
        mirror.get(signaturePath, { signal, timeoutMs: t.requestMs, maxBytes: 1024 }),
      ]);
      if (!m.found || !s.found) return undefined;
      // The very bytes of the manifest already accepted: verified and parsed before.
      const ours = current;
      if (ours !== undefined && sameBytes(m.body, ours.bytes))
        return { manifest: ours.manifest, bytes: ours.bytes, signature: ours.signature };
      const signature = new TextDecoder().decode(s.body);
      if (!verifySignatureText(m.body, signature, publicKey)) return undefined;
      return { manifest: parseManifest(utf8ToString(m.body, manifestPath)), bytes: m.body, signature };
    } catch (e) {
      if (e instanceof MirrorError && (e.problem === 'aborted' || e.problem === 'timeout' || e.problem === 'unreachable')) throw e;
      return undefined;
    }
  };

  return { current: () => current, ensure, retryAfterMs, refresh, getFile };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function matches(entry: FileEntry | undefined, body: Uint8Array): boolean {
  return entry !== undefined && entry.size === body.length && entry.sha256 === sha256Hex(body);
}

function classifyManifestError(e: unknown): unknown {
  if (e instanceof SignatureError) {
    return new AttemptError({ type: 'compromised', error: `manifest: ${e.message}` });
  }
  if (e instanceof RollbackError) return new AttemptError({ type: 'failure', error: `manifest: ${e.message}` });
  if (e instanceof ExpiredError) return new AttemptError({ type: 'failure', error: `manifest: ${e.message} (freeze refused)` });
  return e;
}

function toFailure(e: unknown, aborted: boolean): { type: 'failure' | 'unreachable'; error: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (aborted) return { type: 'unreachable', error: `manifest: no answer before the refresh deadline` };
  if (e instanceof MirrorError && (e.problem === 'unreachable' || e.problem === 'timeout')) {
    return { type: 'unreachable', error: message };
  }
  return { type: 'failure', error: message };
}
