// Where posts come from: a blog's feed (Atom, RSS) or a folder of Markdown files, read into plain
// data. Reading is the only I/O; what is read is passed on exactly as the origin served it.
import type { OriginSnapshot } from '../core/model.ts';

export interface OriginSource {
  /** Reads the whole origin (every page of a feed). Throws SourceError when the origin is unusable. */
  read(): Promise<OriginSnapshot>;
}

/**
 * The origin cannot be read, or what it served is not a usable blog. `location` is the URL or file
 * at fault; the message starts with it and then says the problem, e.g.
 * "examples/posts/x.md: front matter: title is missing".
 */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly location: string,
    problem: string,
  ) {
    super(`${location}: ${problem}`);
  }
}
