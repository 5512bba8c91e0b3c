import { resolve } from 'node:path';
import type { Command } from '../cli-io.ts';
import { UsageError, parseFlags } from '../cli-io.ts';
import { loadConfig } from '../load-config.ts';
import { createJsonStateStore } from '../../adapters/node/json-state-store.ts';

export const command: Command = {
  name: 'approve',
  summary: 'release a quarantined post: its current version is published by the next build',
  usage: `ferry approve <post-id> [--data DIR] [--config FILE]
       ferry approve --all [--data DIR] [--config FILE]

  Approves exactly the version the last build held back; if the origin changes the post again,
  it is held back again. --all approves everything held back now (and accepts a new feed id the
  origin declared): review the list \`ferry build\` printed first.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { data: { type: 'string' }, config: { type: 'string' }, all: { type: 'boolean' } },
      true,
    );
    const config = await loadConfig(io.cwd, values.config);
    const dataDir = values.data === undefined ? config.data : resolve(io.cwd, values.data);
    const store = createJsonStateStore(dataDir);
    const states = await store.list();
    if (values.all === true) {
      if (positionals.length > 0) throw new UsageError('give either --all or one post id, not both');
      let count = 0;
      for (const state of states) {
        if (state.pending.length === 0 && state.pendingOriginId === undefined) continue;
        await store.saveApprovals(state.siteId, Object.fromEntries(state.pending.map((q) => [q.id, q.hash])), state.pendingOriginId);
        for (const q of state.pending) io.out(`Approved "${q.title}" (${q.id})`);
        if (state.pendingOriginId !== undefined) io.out(`Accepted the origin's new feed id ${state.pendingOriginId}`);
        count += state.pending.length;
      }
      io.out(count === 0 ? 'Nothing is held back.' : `${count} post(s) approved; the next build publishes them (sanitized).`);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] === undefined)
      throw new UsageError('give exactly one post id (as listed by ferry build), or --all');
    const id = positionals[0];
    const matches = states.filter((s) => s.pending.some((q) => q.id === id));
    if (matches.length === 0) {
      const pending = states.flatMap((s) => s.pending.map((q) => `  ${q.id}  "${q.title}"`));
      io.err(
        `ferry approve: no held-back post has id ${id} in ${dataDir}.` +
          (pending.length > 0 ? `\nHeld back now:\n${pending.join('\n')}` : '\nNothing is held back.'),
      );
      return 1;
    }
    for (const state of matches) {
      const q = state.pending.find((p) => p.id === id);
      if (q === undefined) continue;
      await store.saveApprovals(state.siteId, Object.fromEntries([[id, q.hash]]));
      io.out(`Approved "${q.title}" (${id}).`);
      io.out(`It was held back because: ${q.reasons.join('; ')}`);
      io.out('The next build publishes it (sanitized: no active content is ever published).');
    }
    return 0;
  },
};
