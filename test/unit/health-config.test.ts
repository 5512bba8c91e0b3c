// The `health` section of ferry.config.json: defaults, limits, and errors that name the file,
// the field and the fix; the schedule every interval maps to.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { DEFAULT_HEALTH_CONFIG, healthCron, toRoundPolicies, validateHealthConfig } from '../../src/core/health-config.ts';

const FILE = '/site/ferry.config.json';

describe('health config', () => {
  it('has the documented defaults when absent', () => {
    const config = parseConfig('{}', FILE).health;
    expect(config).toEqual({ ...DEFAULT_HEALTH_CONFIG });
    expect(config.every).toBe(300);
    expect([config.failuresToDown, config.successesToUp]).toEqual([3, 2]);
    expect(toRoundPolicies(config)).toEqual({
      health: { failuresToDown: 3, successesToUp: 2 },
      round: { quorum: 2 },
      canonical: { cooldownMs: 1_800_000 },
      reportWindowMs: 900_000,
    });
  });

  it('takes every field, and widens the report window to three rounds of a long interval', () => {
    const config = validateHealthConfig(
      {
        every: 3600,
        failuresToDown: 4,
        successesToUp: 3,
        cooldownSeconds: 60,
        quorum: 3,
        countries: ['cn', 'IR'],
        doh: 'https://dns.example.net/dns-query',
        injectionProbe: '203.0.113.7',
        origin: false,
      },
      FILE,
    );
    expect(config).toMatchObject({ every: 3600, failuresToDown: 4, countries: ['CN', 'IR'], origin: false, reportWindowSeconds: 10_800 });
    expect(validateHealthConfig({ every: 3600, reportWindowSeconds: 60 }, FILE).reportWindowSeconds).toBe(60);
  });

  it.each([
    [{ every: 0 }, 'health.every must be a whole number from 1 to 86400'],
    [{ every: 7 }, 'health.every is 7 seconds, which a schedule cannot repeat evenly'],
    [{ every: 'often' }, 'health.every must be a whole number'],
    [{ failuresToDown: 0 }, 'health.failuresToDown must be a whole number from 1'],
    [{ quorum: 1.5 }, 'health.quorum must be a whole number'],
    [{ countries: ['China'] }, 'health.countries must be a list of two-letter country codes'],
    [{ doh: 'http://dns.example.net/dns-query' }, 'health.doh must be a DNS-over-HTTPS URL'],
    [{ injectionProbe: 'resolver.example' }, 'health.injectionProbe must be an IPv4 address'],
    [{ enabled: 'yes' }, 'health.enabled must be true or false'],
    [{ interval: 300 }, 'health.interval is unknown (known: '],
    [{ ooni: { baseUrl: 'api.ooni.io' } }, 'health.ooni.baseUrl must be the OONI API'],
    [{ ooni: { everyMinutes: 1 } }, 'health.ooni.everyMinutes must be a whole number from 5 to 1440'],
    [{ ooni: true }, 'health.ooni must be {"baseUrl"'],
    [
      { worker: { url: 'https://blog.example.org/', tokenEnv: 'secret-value-123' } },
      'health.worker.tokenEnv must name an environment variable',
    ],
    [{ worker: { tokenEnv: 'FERRY_HEALTH_TOKEN' } }, 'health.worker must be {"url"'],
  ])('refuses %j, naming the file and the field', (health, message) => {
    expect(() => parseConfig(JSON.stringify({ health }), FILE)).toThrow(`${FILE}: ${message}`);
  });

  it('turns OONI on with {} (off by default: it tells a public API which domains are watched), and reads the Worker by its token variable', () => {
    expect(validateHealthConfig({}, FILE).ooni).toBeUndefined();
    expect(validateHealthConfig({ ooni: {} }, FILE).ooni).toEqual({ baseUrl: 'https://api.ooni.io', everyMinutes: 60 });
    expect(validateHealthConfig({ worker: { url: 'https://blog.example.org/' } }, FILE).worker).toEqual({
      url: 'https://blog.example.org/',
      tokenEnv: 'FERRY_HEALTH_TOKEN',
    });
  });

  it('refuses a health that is not an object', () => {
    expect(() => parseConfig('{"health": 300}', FILE)).toThrow(`${FILE}: health must be an object`);
  });

  it.each([
    [30, '*/30 * * * * *'],
    [60, '0 */1 * * * *'],
    [300, '0 */5 * * * *'],
    [3600, '0 0 */1 * * *'],
    [21_600, '0 0 */6 * * *'],
    [86_400, '0 0 */24 * * *'],
    [7, undefined],
    [90, undefined],
    [25_200, undefined],
  ])('every %i s is the schedule %s', (every, expression) => {
    expect(healthCron(every)).toBe(expression);
  });
});
