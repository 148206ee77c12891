/**
 * The app's "Run on a cluster…" archive of a library dataset's sweep, written as the export channel
 * writes it (`planSweepArchive` + `writeClusterArchive`: the job folder with data.nmf streamed from
 * the library, then its .tar.gz) into a temporary folder, removed afterwards. Run under
 * `/usr/bin/time -v` for the peak memory; prints the archive's size and the seconds taken.
 *
 *   /usr/bin/time -v node --import tsx scripts/measure/cluster-export.ts --db lib.sqlite --dataset 1
 *
 * `--progress` makes it as the window's export does (`exportClusterJob` with an id: progress events
 * and a cancel signal) and also prints the events seen per step, the time to the first one and the
 * largest gap between two; `--cancel-after MS` cancels it then and prints how long the cancel took
 * to stop it and remove what it wrote, and what was left in the temporary folder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterExportProgress } from '../../src/shared/api/cluster-export';
import { createServices } from '../../src/main/services';
import { planSweepArchive, writeClusterArchive } from '../../src/main/services/cluster';
import { cancelClusterExport, exportClusterJob } from '../../src/main/services/cluster-export';
import { cancelDownload } from '../../src/main/services/downloads';

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
  const plan = () =>
    planSweepArchive(
      services.ctx,
      Number(get('--dataset', '1')),
      { fromRank: 18, toRank: 20, replicates: 2 },
      { tasks: 4 },
      5e8,
    );
  try {
    const started = Date.now();
    if (!args.includes('--progress') && !args.includes('--cancel-after')) {
      const archiveBytes = await writeClusterArchive(plan(), dir, join(dir, 'job.tar.gz'));
      process.stdout.write(JSON.stringify({ archiveBytes, seconds: (Date.now() - started) / 1000 }) + '\n');
      return;
    }
    const events: Array<ClusterExportProgress & { atMs: number }> = [];
    services.ctx.events.subscribe((event, payload) => {
      if (event === 'cluster:exportProgress')
        events.push({ ...(payload as ClusterExportProgress), atMs: Date.now() - started });
    });
    const exportId = 'f'.repeat(32);
    const cancelAfter = args.includes('--cancel-after') ? Number(get('--cancel-after', '0')) : null;
    let cancelledAt: number | null = null;
    if (cancelAfter !== null)
      setTimeout(() => {
        cancelledAt = Date.now() - started;
        cancelClusterExport(services.ctx, exportId);
      }, cancelAfter);
    let outcome: string;
    let archiveBytes: number | null = null;
    try {
      const offered = await exportClusterJob(services.ctx, exportId, plan);
      archiveBytes = offered.byteLength;
      await cancelDownload(services.ctx, offered.download.downloadId);
      outcome = 'offered';
    } catch (error) {
      outcome = (error as Error).message;
    }
    const endedAt = Date.now() - started;
    const gaps = events.slice(1).map((e, i) => e.atMs - events[i].atMs);
    process.stdout.write(
      JSON.stringify({
        outcome,
        archiveBytes,
        seconds: endedAt / 1000,
        eventsPerStep: Object.fromEntries(
          ['data', 'files', 'archive'].map((phase) => [
            phase,
            events.filter((e) => e.phase === phase).length,
          ]),
        ),
        firstEventMs: events[0]?.atMs ?? null,
        largestGapMs: gaps.length ? Math.max(...gaps) : null,
        lastEvent: events.at(-1) ?? null,
        ...(cancelledAt !== null
          ? {
              cancelledAtMs: cancelledAt,
              stoppedMsAfterCancel: endedAt - cancelledAt,
              leftInTemp: readdirSync(services.ctx.app.tempDir),
            }
          : {}),
      }) + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await services.close();
  }
}

void main();
