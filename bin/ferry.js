#!/usr/bin/env node
// The `ferry` command. Runs the TypeScript sources through tsx, so a clone works right after
// `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
