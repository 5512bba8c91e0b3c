// The one check every parser of stored or received JSON starts with: a plain object (not null,
// not an array), whose fields can then be read as unknown and checked one by one.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
