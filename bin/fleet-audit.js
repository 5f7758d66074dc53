#!/usr/bin/env node
// fleet-audit. Installed from the package, it runs the JavaScript built from lib/ (`npm run
// build`, run by `npm pack`): no TypeScript loader at start-up. In a checkout (lib/ beside bin/,
// which the package does not ship) it runs the TypeScript as it is now, through tsx, a
// devDependency: never a stale build.
import { existsSync } from 'node:fs';

// Node 20 is past its end of life and the AWS SDK says so on every client it builds. The README
// states the Node versions supported; the CLI's output stays the report. Set before the SDK loads
// (it reads the variable when the first client is built); a value the user set is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `fleet-audit scan | head -1`: the reader went away. The run goes on (it may be delivering) and
// ends with its own exit code; what is left to print has nowhere to go. Any other stream error is
// a real one and stays fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const source = new URL('../lib/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli/main.js');
}
process.exitCode = await cli.main(process.argv.slice(2));
