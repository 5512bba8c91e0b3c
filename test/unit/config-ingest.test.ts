// ferry.config.json's ingest section: the period of full reads, validated with an error that names
// the file, the field and what to write instead.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../src/core/config.ts';

const parse = (ingest: unknown) => parseConfig(JSON.stringify({ ingest }), 'ferry.config.json');

describe('config: ingest', () => {
  it('reads every page once a day unless told otherwise', () => {
    expect(parseConfig('{}', 'ferry.config.json').ingest).toEqual({ fullReadHours: 24 });
    expect(DEFAULT_CONFIG.ingest.fullReadHours).toBe(24);
  });

  it.each([0, 1, 6.5, 720])('accepts fullReadHours %s', (hours) => {
    expect(parse({ fullReadHours: hours }).ingest.fullReadHours).toBe(hours);
  });

  it.each([-1, 721, '24', null, Number.NaN])('refuses fullReadHours %s, naming the file, the field and the range', (hours) => {
    expect(() => parse({ fullReadHours: hours })).toThrow(ConfigError);
    expect(() => parse({ fullReadHours: hours })).toThrow(
      /^ferry\.config\.json: ingest\.fullReadHours must be a number of hours from 0 .* to 720/,
    );
  });

  it('refuses an unknown field and a section that is not an object', () => {
    expect(() => parse({ fullReadHour: 24 })).toThrow(/ingest\.fullReadHour is unknown \(known: fullReadHours\)/);
    expect(() => parse(24)).toThrow(/ingest must be an object/);
  });
});
