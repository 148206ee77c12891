/**
 * The app's "Run on a cluster…" archive of a library dataset's sweep, written as the export channel
 * writes it (`planSweepArchive` + `writeClusterArchive`: the job folder with data.nmf streamed from
 * the library, then its .tar.gz) into a temporary folder, removed afterwards. Run under
 * `/usr/bin/time -v` for the peak memory; prints the archive's size and the seconds taken.
 *
 *   /usr/bin/time -v node --import tsx scripts/measure/cluster-export.ts --db lib.sqlite --dataset 1
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../../src/main/services';
import { planSweepArchive, writeClusterArchive } from '../../src/main/services/cluster';

const args = process.argv.slice(2);
const get = (key: string, fallback: string): string => {
  const at = args.indexOf(key);
  return at >= 0 ? args[at + 1] : fallback;
};

async function main(): Promise<void> {
  const services = createServices({
    libraryPath: get('--db', 'library.sqlite'),
    // No fit runs: the pool is never started.
    workerPath: fileURLToPath(new URL('../../out/main/nmf.worker.js', import.meta.url)),
    mode: 'browser',
    threads: 1,
    readOnly: true,
  });
  const dir = mkdtempSync(join(tmpdir(), 'nmf-cluster-export-'));
  try {
    const started = Date.now();
    const planned = planSweepArchive(
      services.ctx,
      Number(get('--dataset', '1')),
      { fromRank: 18, toRank: 20, replicates: 2 },
      { tasks: 4 },
      5e8,
    );
    const archiveBytes = await writeClusterArchive(planned, dir, join(dir, 'job.tar.gz'));
    process.stdout.write(JSON.stringify({ archiveBytes, seconds: (Date.now() - started) / 1000 }) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await services.close();
  }
}

void main();
