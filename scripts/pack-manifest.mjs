#!/usr/bin/env node
// The package.json that `npm pack` puts in the tarball carries no scripts: they are the clone's
// (build, test, demo, deploy), run through devDependencies the package does not install, and an
// install-time one (`prepare`) makes npm 11 warn that the package wants to run a script.
// `prepack` runs `strip` (after the build): package.json is kept aside and written without
// `scripts`; `postpack` runs `restore`. npm reads the scripts it runs before prepack, and packs
// package.json as it is on disk after it.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = new URL('../package.json', import.meta.url);
const KEPT = new URL('../package.json.prepack', import.meta.url);

const [command] = process.argv.slice(2);
if (command === 'strip') {
  // A backup left by a pack that failed before postpack is the real manifest: never overwrite it.
  if (!existsSync(KEPT)) writeFileSync(KEPT, readFileSync(MANIFEST));
  const { scripts: _scripts, ...packed } = JSON.parse(readFileSync(KEPT, 'utf8'));
  // Written beside it, then renamed over it (as restore does): a process reading package.json
  // meanwhile (the test runner resolving modules while a test packs) never sees it empty.
  const next = new URL('../package.json.packed', import.meta.url);
  writeFileSync(next, `${JSON.stringify(packed, null, 2)}\n`);
  renameSync(next, MANIFEST);
} else if (command === 'restore') {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
} else {
  console.error('usage: pack-manifest.mjs strip|restore');
  process.exit(2);
}
