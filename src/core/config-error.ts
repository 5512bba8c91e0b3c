// The error of every configuration file Ferry reads (ferry.config.json, a mirror list, the
// Worker's FERRY_MIRRORS): its message names the file, the entry and the field, and says what to fix.

export class ConfigError extends Error {
  override name = 'ConfigError';
}
