#!/usr/bin/env node
// Entry of `npx nmf-studio`: runs the built command line (out/main/cli.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(
    `nmf-studio: not built yet (${cli} is missing): run "npm run build" in the repository first\n`,
  );
  process.exit(1);
}
process.env.NMF_STUDIO_CLI = '1';
await import(pathToFileURL(cli).href);
