import { resolve } from 'node:path';
import type { Command } from '../cli-io.ts';
import { parseFlags } from '../cli-io.ts';
import { loadConfig } from '../load-config.ts';
import { createRepublisher } from '../republisher.ts';

export const command: Command = {
  name: 'publish',
  summary: 'run one republish now: build, sign, IPFS import, publish to every target',
  usage: `ferry publish [--config FILE] [--key FILE] [--json]

  Uses ferry.config.json (source, out, data, mirrors, targets). Shows progress per stage and per
  target on stderr; --json prints the run's record on stdout. Exit 0 when every target got the
  snapshot, 1 when the build failed or any target failed (the others still got it).`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      config: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean' },
    });
    const config = await loadConfig(io.cwd, values.config);
    const republisher = await createRepublisher({
      config,
      env: io.env,
      ...(values.key === undefined ? {} : { keyFile: resolve(io.cwd, values.key) }),
      onProgress: (stage, message, target) => io.err(`[${target === undefined ? stage : `${stage} ${target}`}] ${message}`),
    });
    const { run, build } = await republisher.run('manual').finally(() => republisher.close());
    if (values.json === true) {
      io.out(JSON.stringify({ ...run, build }, null, 2));
    } else {
      io.out(`Run ${run.id}: ${run.outcome.toUpperCase()}${run.error === undefined ? '' : `: ${run.error}`}`);
      if (run.version !== undefined) io.out(`  version ${run.version}, ${run.posts ?? 0} posts, ${run.quarantined ?? 0} held back`);
      if (run.cid !== undefined) io.out(`  IPFS root ${run.cid}`);
      for (const t of run.targets) {
        io.out(
          t.outcome === 'ok'
            ? `  ${t.id} (${t.kind}): ${t.uploaded ?? 0} uploaded, ${t.deleted ?? 0} deleted, ${t.unchanged ?? 0} unchanged`
            : `  ${t.id} (${t.kind}): FAILED: ${t.error ?? ''}`,
        );
      }
      for (const q of build?.quarantined ?? []) io.out(`  held back: ${q.id} "${q.title}": ${q.reasons.join('; ')}`);
    }
    return run.outcome === 'ok' ? 0 : 1;
  },
};
