// Child process of hostile-corpus.test.ts: runs `nmf-studio import FILE --db DB` through the
// command line's own `main` for every file named on stdin (one per line), each as the binary runs
// it, and prints one JSON line per file: exit code, stderr, and the process's peak RSS so far
// (after a first line with the baseline).
import { createInterface } from 'node:readline';
import { main } from '../../cli/index';
import { loadH5wasm } from '../hdf5';

// Loaded first, so that its cost is in the baseline: under the tsx loader of development runs
// (not in the built application) loading h5wasm alone takes about 600 MB of RSS.
await loadH5wasm();
const [db] = process.argv.slice(2);
process.stdout.write(`${JSON.stringify({ baselineMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
for await (const file of createInterface({ input: process.stdin })) {
  if (file.length === 0) continue;
  let stderr = '';
  const code = await main(['import', file, '--db', db], {
    stdout: () => undefined,
    stderr: (text) => (stderr += text),
    stderrIsTty: false,
  });
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ file, code, stderr, maxRssMiB })}\n`);
}
