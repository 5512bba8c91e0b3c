// Run the ferry CLI in-process (the same main() the bin calls) and capture what it prints.
import { main } from '../../src/node/cli.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(
  args: string[],
  { cwd = process.cwd(), env = {} }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { ...env },
    cwd,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
