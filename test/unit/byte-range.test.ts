import { describe, expect, it } from 'vitest';
import { parseRange, rangeStillValid, type RangeAnswer } from '../../src/edge/byte-range.ts';

describe('parseRange (a 1000-byte file)', () => {
  const cases: [string | undefined, RangeAnswer][] = [
    [undefined, { type: 'whole' }],
    ['bytes=0-99', { type: 'partial', start: 0, end: 99 }],
    ['bytes=900-', { type: 'partial', start: 900, end: 999 }],
    ['bytes=-100', { type: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { type: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { type: 'partial', start: 990, end: 999 }],
    ['BYTES=1-1', { type: 'partial', start: 1, end: 1 }],
    [' bytes=1-2 ', { type: 'partial', start: 1, end: 2 }],
    ['bytes=1000-', { type: 'unsatisfiable' }],
    ['bytes=-0', { type: 'unsatisfiable' }],
    ['bytes=5-1', { type: 'whole' }],
    ['bytes=-', { type: 'whole' }],
    ['bytes=0-1,5-6', { type: 'whole' }],
    ['items=0-1', { type: 'whole' }],
    ['bytes=a-b', { type: 'whole' }],
  ];
  for (const [header, want] of cases) {
    it(`${String(header)} -> ${want.type}`, () => expect(parseRange(header, 1000)).toEqual(want));
  }
  it('an empty file has no satisfiable range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ type: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ type: 'unsatisfiable' });
  });
});

describe('rangeStillValid', () => {
  it('holds without If-Range and for the same strong ETag only', () => {
    expect(rangeStillValid(undefined, '"abc"')).toBe(true);
    expect(rangeStillValid('"abc"', '"abc"')).toBe(true);
    expect(rangeStillValid('"abd"', '"abc"')).toBe(false);
    expect(rangeStillValid('W/"abc"', '"abc"')).toBe(false);
    expect(rangeStillValid('Wed, 21 Oct 2015 07:28:00 GMT', '"abc"')).toBe(false);
  });
});
