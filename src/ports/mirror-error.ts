// The Mirror port's error, apart from the factory table (ports/mirror.ts), so that code bundled for
// browsers (src/sw) takes it without the mirror kinds.

/**
 * 'too-large': the mirror's answer for the path (not an error page) is bigger than maxBytes; the
 * edge asks with the size the manifest signs, so there it is an integrity failure.
 */
export type MirrorProblem = 'unreachable' | 'timeout' | 'too-large' | 'http-status' | 'aborted' | 'bad-path';

export class MirrorError extends Error {
  override name = 'MirrorError';
  constructor(
    readonly mirrorId: string,
    readonly problem: MirrorProblem,
    detail: string,
  ) {
    super(`mirror '${mirrorId}': ${detail}`);
  }
}
