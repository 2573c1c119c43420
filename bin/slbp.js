#!/usr/bin/env node
// The installed `slbp` command: runs the production build (npm run build writes dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('slbp: the build is missing (dist/): run npm run build, or in a development checkout: npx tsx src/cli/main.ts\n');
  process.exit(2);
}
await import(entry.href);
