// RunStore as one small JSON file per run, each written atomically (temp file, fsync, rename): a
// kill -9 at any moment leaves every record either as it was or as it became.
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunOutcome, RunRecord, RunStore, TargetResult } from '../../ports/runs.ts';
import { writeFileAtomic } from './atomic-file.ts';

const OUTCOMES: readonly RunOutcome[] = ['running', 'ok', 'partial', 'failed', 'interrupted'];

export function createFileRunStore(dir: string, { keep = 500 }: { keep?: number } = {}): RunStore {
  const fileOf = (id: string): string => join(dir, `${id}.json`);
  const names = async (): Promise<string[]> => {
    try {
      return (await readdir(dir))
        .filter((n) => n.endsWith('.json'))
        .sort()
        .reverse();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  };
  const read = async (name: string): Promise<RunRecord | undefined> => {
    try {
      return parseRun(JSON.parse(await readFile(join(dir, name), 'utf8')));
    } catch {
      return undefined; // a record from an older format or a damaged file is skipped, not fatal
    }
  };
  return {
    async put(run) {
      if (!/^[0-9A-Za-z._-]+$/.test(run.id)) throw new Error(`bad run id ${run.id}`);
      await writeFileAtomic(fileOf(run.id), `${JSON.stringify(run, null, 1)}\n`);
      const all = await names();
      for (const old of all.slice(keep)) await rm(join(dir, old), { force: true });
    },
    async list(limit = 50) {
      const out: RunRecord[] = [];
      for (const name of await names()) {
        if (out.length >= limit) break;
        const run = await read(name);
        if (run !== undefined) out.push(run);
      }
      return out;
    },
    async recover(now) {
      const recovered: RunRecord[] = [];
      for (const name of await names()) {
        const run = await read(name);
        if (run?.outcome !== 'running') continue;
        const fixed: RunRecord = {
          ...run,
          outcome: 'interrupted',
          ended: now.toISOString(),
          error: 'the process stopped during this run (crash, kill or power loss); nothing it had not finished was published',
        };
        await writeFileAtomic(fileOf(run.id), `${JSON.stringify(fixed, null, 1)}\n`);
        recovered.push(fixed);
      }
      return recovered;
    },
  };
}

/** A new run id that sorts by start time. */
export function newRunId(started: Date, random: string): string {
  return `${started.toISOString().replace(/[:]/g, '-')}-${random}`;
}

function parseRun(raw: unknown): RunRecord | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.started !== 'string' || typeof r.attempt !== 'number') return undefined;
  if (r.trigger !== 'schedule' && r.trigger !== 'manual' && r.trigger !== 'start' && r.trigger !== 'rotation') return undefined;
  const outcome = OUTCOMES.find((o) => o === r.outcome);
  if (outcome === undefined || !Array.isArray(r.targets)) return undefined;
  const targets: TargetResult[] = [];
  for (const t of r.targets) {
    if (typeof t !== 'object' || t === null) return undefined;
    const x = t as Record<string, unknown>;
    if (typeof x.id !== 'string' || typeof x.kind !== 'string' || (x.outcome !== 'ok' && x.outcome !== 'failed')) return undefined;
    const res: TargetResult = { id: x.id, kind: x.kind, outcome: x.outcome };
    for (const k of ['uploaded', 'deleted', 'unchanged', 'bytes'] as const) if (typeof x[k] === 'number') res[k] = x[k];
    if (typeof x.error === 'string') res.error = x.error;
    targets.push(res);
  }
  const run: RunRecord = { id: r.id, trigger: r.trigger, started: r.started, outcome, attempt: r.attempt, targets };
  if (typeof r.ended === 'string') run.ended = r.ended;
  if (typeof r.error === 'string') run.error = r.error;
  if (typeof r.version === 'number') run.version = r.version;
  if (typeof r.cid === 'string') run.cid = r.cid;
  if (typeof r.posts === 'number') run.posts = r.posts;
  if (typeof r.quarantined === 'number') run.quarantined = r.quarantined;
  return run;
}
