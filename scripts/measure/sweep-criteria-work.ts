/**
 * The main process's work on a stored sweep's criteria, replayed as a running sweep does it: each
 * rank's criteria when the rank completes (from that rank's stored results), then the final
 * summary, which takes those criteria as computed. Prints the CPU and wall milliseconds of both and
 * a hash of the summary, so that two builds can be compared on the same library (run it in each
 * tree, alternating).
 *
 *   node --import tsx scripts/measure/sweep-criteria-work.ts LIBRARY.sqlite SWEEP_ID
 */
import { createHash } from 'node:crypto';
import { openLibrary } from '../../src/main/db/connection';
import { sweepJobResults, sweepJobResultsOfRanks } from '../../src/main/db/queries/sweeps';
import { decodeFrame } from '../../src/shared/api';
import { summarizeFinishedRank, summarizeSweep } from '../../src/shared/analysis';
import type { RankSummary, SweepJobResult } from '../../src/shared/analysis';
import { sweepSpecOf } from '../../src/main/services/sweeps';
import type { SweepParams } from '../../src/shared/domain';

const [file, idText] = process.argv.slice(2);
if (!file || !idText) throw new Error('usage: sweep-criteria-work.ts LIBRARY.sqlite SWEEP_ID');
const db = openLibrary(file, { readOnly: true });
const id = Number(idText);
const decode = (rows: Array<{ result: Buffer }>): SweepJobResult[] =>
  rows.map(
    (r) =>
      decodeFrame(
        new Uint8Array(r.result.buffer, r.result.byteOffset, r.result.byteLength),
      ) as SweepJobResult,
  );
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
};
const keys = sweepJobResults(db, id).map((r) => r.job_key);
const ranks = [...new Set(keys.map((key) => Number(/(?:^|\/)k(\d+)\//.exec(key)![1])))].sort((a, b) => a - b);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const live = new Map<number, RankSummary>();
for (const rank of ranks) {
  const summary = summarizeFinishedRank(rank, decode(sweepJobResultsOfRanks(db, id, [rank])));
  if (summary !== null) live.set(rank, summary);
}
const liveCpu = cpuMs(cpu0);
const t1 = performance.now();
const cpu1 = process.cpuUsage();
const { params } = db.prepare('SELECT params FROM sweeps WHERE id = ?').get(id) as { params: string };
const summary = summarizeSweep(
  sweepSpecOf(JSON.parse(params) as SweepParams),
  decode(sweepJobResults(db, id)),
  live,
);
console.log(
  JSON.stringify({
    sweep: id,
    ranks,
    liveCpuMs: liveCpu,
    liveWallMs: Math.round(t1 - t0),
    summaryCpuMs: cpuMs(cpu1),
    summaryWallMs: Math.round(performance.now() - t1),
    summarySha256: createHash('sha256').update(JSON.stringify(summary)).digest('hex'),
  }),
);
