import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { surveyJson, toRanksJson } from '../../shared/analysis';
import { formatLoss, type RunDetail, type SweepRecord } from '../../shared/domain';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import { normalizeFactors } from '../../shared/nmf';
import { neutraliseFormula } from '../../shared/export/spreadsheet';
import { writeFactorsTsv } from '../io';
import { makeFolder } from '../io/make-folder';
import { keptLibrary, storedRanksNote, SWEEP_LAYOUT, writeOutFolder } from './out-folder';
import type { Services } from '../services';
import { getRunDetail } from '../services/runs';
import { getSweepDetail } from '../services/sweeps';

/**
 * The folders the command line writes (CLI.md): a run's W.tsv, H.tsv and run.json, a sweep's
 * ranks.json and k<rank>/ folders. Other tools read them: their bytes are a contract.
 */

/** W.tsv, H.tsv and run.json of a finished run, exactly as CLI.md's `fit` writes them. */
export async function writeRunFolder(
  dir: string,
  run: RunDetail,
  normalize: 'l1' | 'l2' | undefined,
): Promise<void> {
  if (!run.W || !run.H) throw new Error(`run ${run.id} has no factors (state ${run.state})`);
  const k = run.params.rank;
  let W: DenseMatrix = dense(run.rows, k, run.W);
  let H: DenseMatrix = dense(k, run.cols, run.H);
  if (normalize) ({ W, H } = normalizeFactors(W, H, normalize));
  await makeFolder(dir);
  // Names come from the user's files: neutralised against spreadsheet formulas (`runs import` reads them back).
  await writeFactorsTsv(dir, {
    W,
    H,
    featureNames: run.featureNames.map(neutraliseFormula),
    sampleNames: run.sampleNames.map(neutraliseFormula),
  });
  const runJson = {
    params: {
      ...run.params,
      loss: formatLoss(run.params.loss, run.params.beta),
      normalize: normalize ?? 'none',
    },
    iterations: run.iterations,
    converged: run.converged,
    loss: run.loss,
    loglik: run.loglik,
    seconds: run.seconds,
    trace: run.trace,
    // An addition to CLI.md's run.json: seconds from the fit's start to each trace point (null when
    // the run did not record them: imported factors, runs stored before).
    trace_seconds: traceSecondsOf(run),
    run_id: run.id,
    provenance: run.provenance,
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(runJson, null, 2) + '\n');
}

/** The run's seconds per trace point when it recorded them for exactly this trace, else null. */
function traceSecondsOf(run: RunDetail): number[] | null {
  const seconds = run.provenance?.traceSeconds;
  return Array.isArray(seconds) && seconds.length === run.trace.length ? seconds : null;
}

/**
 * Writes a finished sweep as CLI.md's `ranks.json` and `k<rank>/` folders. Shared by `sweep` and
 * `sweep-merge`, so a sweep merged from cluster results is written with the same bytes.
 */
export async function writeSweepFolder(
  services: Services,
  id: number,
  out: string,
  normalize: 'l1' | 'l2' | undefined,
  outcome: string = 'done',
  warn: (line: string) => void = () => undefined,
): Promise<void> {
  const sweep = getSweepDetail(services.ctx, id);
  const { recommendation } = sweep;
  if (outcome !== 'done' || !recommendation)
    throw new Error(`sweep ${outcome}: ${sweep.error ?? 'no reason recorded'}`);
  // An earlier sweep's ranks.json and k<rank>/ go: none of its ranks may pass for this sweep's.
  await writeOutFolder(
    out,
    SWEEP_LAYOUT,
    (dir) => writeSweepFiles(services, sweep, recommendation, dir, normalize, warn),
    storedRanksNote(keptLibrary(services.ctx.app), `sweep ${id}`, sweep.ranks),
  );
}

/** ranks.json and the k<rank>/ folders of a finished sweep, into `dir`. */
async function writeSweepFiles(
  services: Services,
  sweep: SweepRecord,
  recommendation: NonNullable<SweepRecord['recommendation']>,
  dir: string,
  normalize: 'l1' | 'l2' | undefined,
  warn: (line: string) => void,
): Promise<void> {
  const id = sweep.id;
  // CLI.md's fields, then what the library adds: the baseline's criteria, the saved run, the reasoning.
  const contract = toRanksJson({ ranks: sweep.ranks, recommendation });
  const ranksJson = {
    ...contract,
    ranks: contract.ranks.map((r, i) => {
      const { baseline, runId } = sweep.ranks[i];
      return {
        ...r,
        baseline: baseline
          ? {
              loss: baseline.loss,
              cv_error: baseline.cvError,
              cophenetic: baseline.cophenetic,
              stability: baseline.stability,
              cv_error_trimmed: baseline.cvErrorTrimmed ?? null,
              // After the fields above, so they keep their place and bytes.
              ...surveyJson(baseline),
            }
          : null,
        run_id: runId,
      };
    }),
    reasoning: recommendation.reasoning,
    sweep_id: id,
  };
  await writeFile(join(dir, 'ranks.json'), JSON.stringify(ranksJson, null, 2) + '\n');
  for (const warning of contract.warnings) warn(`warning (${warning.code}): ${warning.message}\n`);
  for (const rank of sweep.ranks) {
    if (rank.runId !== null)
      await writeRunFolder(join(dir, `k${rank.rank}`), getRunDetail(services.ctx, rank.runId), normalize);
  }
}
