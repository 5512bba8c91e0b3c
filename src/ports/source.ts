// Where posts come from: a blog's feed (Atom, RSS) or a folder of Markdown files, read into plain
// data. Reading is the only I/O; what is read is passed on exactly as the origin served it.
import type { OriginSnapshot, SiteMeta } from '../core/model.ts';

export interface ReadOptions {
  /**
   * True when the caller already holds what processing this entry gave (the entry with this
   * digest was published as is). A source that can tell that an entry is unchanged without
   * reading it (a Markdown folder, by each file's size, times and inode) then returns
   * { id, digest } in OriginSnapshot.unchanged instead of reading and parsing it again.
   */
  reusable?: (origin: { meta: SiteMeta; location: string }, id: string, digest: string) => boolean;
  /**
   * Read only the entries updated at or after this instant (RFC 3339), as Blogger's `updated-min`
   * does: a feed source then asks for them, and a read that finds none is not an error. An origin
   * that ignores the parameter serves every entry, which is still a correct answer.
   */
  updatedMin?: string;
}

export interface OriginSource {
  /** Reads the whole origin (every page of a feed). Throws SourceError when the origin is unusable. */
  read(options?: ReadOptions): Promise<OriginSnapshot>;
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
