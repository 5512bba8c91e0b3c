// `ferry agent enroll|list|remove`: who may report from another network. The maintainers enroll
// a volunteer's public key (made with `ferry keygen` on the volunteer's machine) with the country
// it measures from; only reports signed by an enrolled key are accepted by ferry serve. Kept in
// the health store's SQLite file (--state), beside the probe history.
import { resolve } from 'node:path';
import { fromBase64, toBase64 } from '../../core/bytes.ts';
import { checkEnrollment } from '../../core/health/agent-report.ts';
import { keyFingerprint } from '../../core/manifest.ts';
import { createSqliteAgentRegistry } from '../../adapters/health/sqlite-agent-registry.ts';
import type { AgentRegistry } from '../../ports/agent-registry.ts';
import { UsageError, parseFlags, type CliIo, type Command } from '../cli-io.ts';
import { readPublicKey } from '../keys.ts';
import { loadConfig } from '../load-config.ts';
import { healthStoreFile } from '../health-service.ts';

/** Where the health store and the enrolled agents live unless --state says otherwise: ferry serve's. */
export const DEFAULT_HEALTH_STATE = '<data folder of ferry.config.json>/health.db (.ferry/health.db by default)';

const USAGE = `ferry agent enroll --name NAME --country CC --pubkey FILE [--state FILE]
       ferry agent list [--state FILE] [--json]
       ferry agent remove NAME [--state FILE]

  enroll   accept reports signed by this key (the volunteer's ferry.pub, from ferry keygen), as
           vantage point NAME in country CC (ISO 3166-1 alpha-2, e.g. CN). One key per agent.
  list     every enrolled agent: name, country, key fingerprint, when enrolled
  remove   stop accepting its reports (results it sent before stay in the history)

  --state FILE  the health store (SQLite) ferry serve and ferry check use; default ${DEFAULT_HEALTH_STATE}`;

export interface AgentCommandDeps {
  openRegistry?: (file: string) => AgentRegistry;
  now?: () => Date;
}

export function createAgentCommand({ openRegistry = createSqliteAgentRegistry, now = () => new Date() }: AgentCommandDeps = {}): Command {
  return {
    name: 'agent',
    summary: 'enroll, list or remove the agents whose signed probe reports are accepted',
    usage: USAGE,
    async run(args, io) {
      const [action, ...rest] = args;
      if (action === 'enroll') return withRegistry(rest, io, openRegistry, (values, registry) => enroll(values, registry, io, now));
      if (action === 'list') return withRegistry(rest, io, openRegistry, (values, registry) => list(values, registry, io));
      if (action === 'remove') return withRegistry(rest, io, openRegistry, (values, registry) => remove(values, registry, io));
      throw new UsageError(
        action === undefined ? 'say what to do: enroll, list or remove' : `unknown action '${action}' (enroll, list or remove)`,
      );
    },
  };
}

export const command = createAgentCommand();

interface Values {
  name?: string | undefined;
  country?: string | undefined;
  pubkey?: string | undefined;
  json?: boolean | undefined;
  positionals: string[];
}

async function withRegistry(
  args: string[],
  io: CliIo,
  open: (file: string) => AgentRegistry,
  fn: (values: Values, registry: AgentRegistry) => Promise<number>,
): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      name: { type: 'string' },
      country: { type: 'string' },
      pubkey: { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  const file = values.state === undefined ? healthStoreFile((await loadConfig(io.cwd)).data) : resolve(io.cwd, values.state);
  const registry = open(file);
  try {
    return await fn({ ...values, positionals }, registry);
  } finally {
    await registry.close();
  }
}

async function enroll(
  { name, country, pubkey, positionals }: Values,
  registry: AgentRegistry,
  io: CliIo,
  now: () => Date,
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected '${positionals.join(' ')}'; give the name with --name`);
  if (name === undefined) throw new UsageError('--name NAME is required (how the agent shows on the dashboard, e.g. shanghai-1)');
  if (country === undefined) throw new UsageError('--country CC is required (where the agent measures from, e.g. CN)');
  if (pubkey === undefined) throw new UsageError("--pubkey FILE is required (the volunteer's ferry.pub, made by ferry keygen)");
  checkEnrollment(name, country);
  const publicKey = await readPublicKey(resolve(io.cwd, pubkey));
  await registry.enroll({ id: name, publicKey: toBase64(publicKey), country, enrolledAt: now().toISOString() });
  io.out(`enrolled agent '${name}' in ${country}, key ${keyFingerprint(publicKey)}: its signed reports are now accepted`);
  return 0;
}

async function list({ json, positionals }: Values, registry: AgentRegistry, io: CliIo): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected '${positionals.join(' ')}'`);
  const agents = (await registry.list()).map((a) => ({
    name: a.id,
    country: a.country,
    key: keyFingerprint(fromBase64(a.publicKey)),
    enrolledAt: a.enrolledAt,
  }));
  if (json === true) {
    io.out(JSON.stringify({ agents }, null, 2));
    return 0;
  }
  if (agents.length === 0) {
    io.out('no agents enrolled (ferry agent enroll --name NAME --country CC --pubkey FILE)');
    return 0;
  }
  const width = Math.max(4, ...agents.map((a) => a.name.length));
  io.out(`${'name'.padEnd(width)}  country  key               enrolled`);
  for (const a of agents) io.out(`${a.name.padEnd(width)}  ${a.country.padEnd(7)}  ${a.key}  ${a.enrolledAt}`);
  return 0;
}

async function remove({ positionals }: Values, registry: AgentRegistry, io: CliIo): Promise<number> {
  const [name, ...more] = positionals;
  if (name === undefined || more.length > 0) throw new UsageError('give the name of one agent to remove');
  if (!(await registry.remove(name))) {
    io.err(`no agent named '${name}' is enrolled (ferry agent list shows them)`);
    return 1;
  }
  io.out(`removed agent '${name}': its reports are no longer accepted`);
  return 0;
}
