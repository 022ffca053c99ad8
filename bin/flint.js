#!/usr/bin/env node
// The `flint` command. Runs the compiled CLI (npm's `prepare` builds dist/ on install).
import { existsSync } from 'node:fs';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('flint: dist/ is missing; run `npm run build` (npm install does it for you)\n');
  process.exit(1);
}
await import(main.href);
