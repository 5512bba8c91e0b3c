// Reading the configuration and the mirror list from disk (once, at start), paths resolved
// against the folder of the file that names them.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import cron from 'node-cron';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type FerryConfig } from '../core/config.ts';
import { MIRROR_KINDS, mirrorUrl, parseMirrorsConfig } from '../core/mirrors-config.ts';
import type { MirrorRef } from '../core/model.ts';

export interface LoadedConfig extends FerryConfig {
  /** The file it came from, or undefined when defaults were used. */
  file?: string;
}

/** ferry.config.json from cwd (or the file given); with paths made absolute. */
export async function loadConfig(cwd: string, file?: string): Promise<LoadedConfig> {
  const path = resolve(cwd, file ?? 'ferry.config.json');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || file !== undefined) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  }
  const config = text === undefined ? DEFAULT_CONFIG : parseConfig(text, path);
  if (!cron.validate(config.schedule.republish)) {
    throw new ConfigError(
      `${path}: schedule.republish: "${config.schedule.republish}" is not a valid cron expression (e.g. "*/30 * * * *")`,
    );
  }
  const base = text === undefined ? cwd : dirname(path);
  const abs = (p: string): string => (/^https?:\/\//.test(p) ? p : resolve(base, p));
  const loaded: LoadedConfig = {
    ...config,
    source: abs(config.source),
    out: abs(config.out),
    data: abs(config.data),
    mirrors: abs(config.mirrors),
  };
  if (text !== undefined) loaded.file = path;
  return loaded;
}

/** The publicly listed mirrors (those with a URL) from a mirrors file; [] when it does not exist. */
export async function loadPublicMirrors(file: string, { required = false } = {}): Promise<MirrorRef[]> {
  return (await loadMirrorList(file, { required })).mirrors;
}

/** As loadPublicMirrors, saying whether the file was there (file is undefined when it was not). */
export async function loadMirrorList(file: string, { required = false } = {}): Promise<{ file?: string; mirrors: MirrorRef[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !required) return { mirrors: [] };
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  // Every kind is valid here (the list is data for every runtime); only those with a URL are public.
  const mirrors = parseMirrorsConfig(text, file, Object.keys(MIRROR_KINDS)).flatMap((m) => {
    const url = mirrorUrl(m);
    return url === undefined ? [] : [{ id: m.id, kind: m.kind, url, priority: m.priority }];
  });
  return { file, mirrors };
}
