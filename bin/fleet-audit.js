#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx: no build step between editing a rule or the
// engine and running it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
