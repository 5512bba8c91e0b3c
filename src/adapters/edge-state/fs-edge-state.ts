// Edge state in a folder (Node): manifest.json, manifest.json.sig, exclusions.json (mirrors not to
// ask) and files/<sha256 of path>.{bin,json}.
// Writes go through a temporary file and a rename, so a crash never leaves half a file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../../core/bytes.ts';
import type { EdgeStateStore } from '../../ports/edge-state.ts';
import { fromExclusionsJson, toExclusionsJson } from './exclusions-json.ts';

export function createFsEdgeState(dir: string): EdgeStateStore {
  const filesDir = join(dir, 'files');
  const put = async (file: string, data: Uint8Array | string): Promise<void> => {
    await mkdir(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  };
  const get = async (file: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(file);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  return {
    async loadExclusions() {
      return fromExclusionsJson((await get(join(dir, 'exclusions.json')))?.toString('utf8') ?? null);
    },
    async saveExclusions(exclusions) {
      await put(join(dir, 'exclusions.json'), toExclusionsJson(exclusions));
    },
    async loadManifest() {
      const manifest = await get(join(dir, 'manifest.json'));
      const signature = await get(join(dir, 'manifest.json.sig'));
      if (manifest === undefined || signature === undefined) return undefined;
      return { manifest: new Uint8Array(manifest), signature: signature.toString('utf8') };
    },
    async saveManifest({ manifest, signature }) {
      await put(join(dir, 'manifest.json.sig'), signature);
      await put(join(dir, 'manifest.json'), manifest);
    },
    async loadFile(path) {
      const key = sha256Hex(path);
      const meta = await get(join(filesDir, `${key}.json`));
      const body = await get(join(filesDir, `${key}.bin`));
      if (meta === undefined || body === undefined) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(meta.toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof parsed !== 'object' || parsed === null) return undefined;
      const { sha256, verifiedAt } = parsed as { sha256?: unknown; verifiedAt?: unknown };
      if (typeof sha256 !== 'string' || typeof verifiedAt !== 'string') return undefined;
      return { sha256, verifiedAt, body: new Uint8Array(body) };
    },
    async saveFile(path, file) {
      const key = sha256Hex(path);
      await put(join(filesDir, `${key}.bin`), file.body);
      await put(join(filesDir, `${key}.json`), JSON.stringify({ path, sha256: file.sha256, verifiedAt: file.verifiedAt }));
    },
  };
}
