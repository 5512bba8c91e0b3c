// Entry of the `ferry` command: dispatches to one module per command.
import { processIo, UsageError, type CliIo, type Command } from './cli-io.ts';

/** Commands are loaded on demand so `ferry --help` stays fast. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  build: { summary: 'ingest an origin, build and sign a snapshot', load: async () => (await import('./commands/build.ts')).command },
  keygen: { summary: 'create a signing key pair', load: async () => (await import('./commands/keygen.ts')).command },
  verify: {
    summary: 'check a snapshot folder or URL against its signed manifest',
    load: async () => (await import('./commands/verify.ts')).command,
  },
  approve: { summary: 'release a quarantined post for the next build', load: async () => (await import('./commands/approve.ts')).command },
  edge: {
    summary: 'serve the snapshot from mirrors, verifying every byte (Node runtime of the edge)',
    load: async () => (await import('./commands/edge.ts')).command,
  },
  'kv-put': {
    summary: 'load a snapshot into Workers KV (local for wrangler dev, or on Cloudflare), binaries intact',
    load: async () => (await import('./commands/kv-put.ts')).command,
  },
  check: {
    summary: 'probe every mirror once from here and say which work (healthy, degraded, unreachable, blocked, compromised)',
    load: async () => (await import('./commands/check.ts')).command,
  },
  car: { summary: 'pack a folder as a UnixFS CAR and print its root CID', load: async () => (await import('./commands/car.ts')).command },
  publish: {
    summary: 'run one republish now: build, sign, IPFS, every target',
    load: async () => (await import('./commands/publish.ts')).command,
  },
  probe: {
    summary: 'probe the mirrors from this network and post a signed report to the maintainers (an agent)',
    load: async () => (await import('./commands/probe.ts')).command,
  },
  agent: {
    summary: 'enroll, list or remove the agents whose signed probe reports are accepted',
    load: async () => (await import('./commands/agent.ts')).command,
  },
  serve: {
    summary: 'serve the blog through the edge and republish on a schedule (what `npm start` runs)',
    load: async () => (await import('./commands/serve.ts')).command,
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'ferry: keep a blog reachable and safe to read behind censorship.',
    '',
    'Usage: ferry <command> [options]     (ferry <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out('ferry 0.1.0');
    return 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.err(`ferry: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ferry ${name}: ${e.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    io.err(`ferry ${name}: ${e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)}`);
    if (io.env.FERRY_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}
