// One byte range of a file (RFC 9110 14.1.2), for readers resuming a download or seeking in
// media. Pure. Several ranges in one request are answered with the whole file, as RFC 9110 allows.

export type RangeAnswer =
  /** Send these bytes (end inclusive) as 206. */
  | { type: 'partial'; start: number; end: number }
  /** No byte of the file is in the range: 416. */
  | { type: 'unsatisfiable' }
  /** No usable Range header: send the whole file. */
  | { type: 'whole' };

const SINGLE = /^bytes=(\d*)-(\d*)$/i;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { type: 'whole' };
  const m = SINGLE.exec(header.trim());
  if (m === null) return { type: 'whole' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { type: 'whole' };
  if (first === '') {
    // The last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { type: 'whole' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'partial', start, end };
}

/** If-Range with an entity tag: the range holds only for the same bytes (a strong match). */
export function rangeStillValid(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  // A date: the edge sends no Last-Modified, so no date can prove the bytes unchanged.
  return v === etag;
}
