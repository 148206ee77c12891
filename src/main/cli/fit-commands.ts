import {
  completeRunParams,
  MAX_CV_FOLDS,
  RUN_DEFAULTS,
  runParamsSchema,
  sweepParamsSchema,
  type SweepParamsInput,
} from '../../shared/domain';
import type { DenseMatrix } from '../../shared/linalg/matrix';
import { readFactorsTsv } from '../io';
import type { MatrixLease } from '../services/matrix-cache';
import { createRun, executeRun, getRunDetail, runMemoryPlan } from '../services/runs';
import {
  createSweep,
  estimateSweep,
  executeSweep,
  sweepSpecOf,
  withConsensusReplicates,
} from '../services/sweeps';
import { engineRate } from '../services/calibrate';
import type { RunEstimate } from '../../shared/domain';
import { sweepMemoryPlan } from '../services/job-memory';
import { planSweep } from '../../shared/analysis';
import { applyMemoryBudget, memoryBudgetFlag, memoryBudgetOf, refuseOverBudget } from './memory-budget-flag';
import {
  choiceFlag,
  notFoundAsUsage,
  numberFlag,
  parse,
  parseRankRange,
  requireString,
  settingsRefusal,
  UsageError,
} from './args';
import { getDatasetDetail, getDatasetSummary } from '../services/datasets';
import {
  clusterPlanFlags,
  planSourceOf,
  planSweepCommand,
  refuseClusterFlagsWithoutPlan,
} from './cluster-commands';
import {
  checkOutFolder,
  JOB_LAYOUT,
  RUN_LAYOUT,
  keptLibrary,
  storedRunNote,
  SWEEP_LAYOUT,
  writeOutFolder,
} from './out-folder';
import {
  fitOptions,
  fitParamsOf,
  followProgress,
  importForFit,
  importOptionsOf,
  leaseImported,
  matrixInputOptions,
  openFor,
  type CliIo,
  type OpenServices,
} from './common';
import { writeRunFolder, writeSweepFolder } from './folders';
import { parseByteSize } from '../services/memory-budget';

/**
 * `nmf-studio fit` and `nmf-studio sweep`: read the matrix, refuse settings that cannot work on it
 * before anything is stored, then the services' create and execute steps (the same the app's
 * handlers use), then the output folder.
 */

export async function fitCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    ...fitOptions,
    rank: { type: 'string' },
    replicates: { type: 'string' },
    'init-w': { type: 'string' },
    'init-h': { type: 'string' },
    'memory-budget': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('fit takes one <matrix> path or dataset id');
  // A dataset already in the library (`nmf-studio import`) is fitted where it is stored, as the
  // app fits it: not read from a file again, not stored a second time.
  const source = planSourceOf(positionals[0], importOptionsOf(values), 'fit');
  if ('datasetId' in source && values['no-save'] === true)
    throw new UsageError(
      '--no-save fits a matrix file in a library of its own; a dataset id names a dataset of the library (--db)',
    );
  const memoryBudget =
    typeof values['memory-budget'] === 'string'
      ? parseByteSize(values['memory-budget'], '--memory-budget')
      : undefined;
  const rank = numberFlag(values, 'rank', { integer: true, min: 1 });
  if (rank === undefined) throw new UsageError('--rank is required');
  const out = requireString(values, 'out');
  checkOutFolder(out, RUN_LAYOUT);
  const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
  const replicates =
    numberFlag(values, 'replicates', { integer: true, min: 1, max: 1000 }) ?? RUN_DEFAULTS.replicates;
  const hasInitW = typeof values['init-w'] === 'string';
  if (hasInitW !== (typeof values['init-h'] === 'string'))
    throw new UsageError('--init-w and --init-h go together');
  const input = { ...fitParamsOf(values), rank, replicates };
  const checked = runParamsSchema.safeParse(input);
  if (!checked.success) throw settingsRefusal(checked.error.issues);
  const params = completeRunParams(input);
  const services = openFor(values, open);
  // --memory-budget overrides NMF_STUDIO_MEMORY_BUDGET and the Settings screen's (memory-budget.ts).
  if (memoryBudget !== undefined)
    services.ctx.memoryBudget = { ...services.ctx.memoryBudget, overrideBytes: memoryBudget };
  // Workers start while the file is read (each replicate is a job of its own).
  services.ctx.pool.warm(replicates);
  const stop = followProgress(services, io, io.stderrIsTty || values.progress === true, 'fit');
  try {
    // Read and check first (the starting factors too), so refused settings and refused files add
    // nothing to the library.
    let start: { W0: DenseMatrix; H0: DenseMatrix } | undefined;
    const readStart = async ({ rowNames, colNames }: { rowNames: string[]; colNames: string[] }) => {
      const W0 = await readFactorsTsv(values['init-w'] as string, { kind: 'W', featureNames: rowNames });
      const H0 = await readFactorsTsv(values['init-h'] as string, { kind: 'H', sampleNames: colNames });
      if (W0.matrix.rows !== rowNames.length || W0.matrix.cols !== rank) {
        throw new UsageError(
          `--init-w must be ${rowNames.length} × ${rank} (features × rank), got ${W0.matrix.rows} × ${W0.matrix.cols}`,
        );
      }
      if (H0.matrix.rows !== rank || H0.matrix.cols !== colNames.length) {
        throw new UsageError(
          `--init-h must be ${rank} × ${colNames.length} (rank × samples), got ${H0.matrix.rows} × ${H0.matrix.cols}`,
        );
      }
      start = { W0: W0.matrix, H0: H0.matrix };
    };
    let datasetId: number;
    // The imported matrix itself, for the fit to lease (leaseImported); released once it has.
    const handOver: { lease: MatrixLease | null } = { lease: null };
    if ('datasetId' in source) {
      datasetId = source.datasetId;
      notFoundAsUsage(() => getDatasetSummary(services.ctx, datasetId));
      // The names (and a 20 × 20 preview from the leading chunks), not the matrix the run leases.
      if (hasInitW) {
        const { rowNames, colNames } = getDatasetDetail(services.ctx, datasetId);
        await readStart({ rowNames, colNames });
      }
    } else {
      const dataset = await importForFit(
        services.ctx,
        positionals[0],
        values,
        params,
        undefined,
        hasInitW ? readStart : undefined,
        (stored, matrix) => (handOver.lease = leaseImported(services.ctx, stored, matrix)),
      );
      datasetId = dataset.id;
    }
    let outcome: Awaited<ReturnType<typeof executeRun>>;
    let id: number;
    try {
      // The flags as given, completed by the service as the app's are (stored with the same key order).
      const run = createRun(services.ctx, datasetId, input);
      id = run.id;
      // A run that streams V (over the memory budget) leases nothing: the imported matrix is let go
      // before it starts, as it was before the hand-over.
      const dataset = getDatasetSummary(services.ctx, datasetId);
      if (runMemoryPlan(services.ctx, dataset, run.params).mode !== 'in-memory') handOver.lease?.release();
      outcome = await executeRun(services.ctx, id, start);
    } finally {
      handOver.lease?.release();
      handOver.lease = null;
    }
    const run = getRunDetail(services.ctx, id);
    if (outcome !== 'done') throw new Error(`fit ${outcome}: ${run.error ?? 'no reason recorded'}`);
    await writeOutFolder(
      out,
      RUN_LAYOUT,
      (dir) => writeRunFolder(dir, run, normalize),
      storedRunNote(keptLibrary(services.ctx.app), id),
    );
    for (const warning of run.provenance?.warnings ?? []) io.stderr(`warning: ${warning}\n`);
  } finally {
    stop();
    await services.close();
  }
}

/**
 * The forecast a sweep's progress opens with, as the New sweep form gives it: the expected time
 * where earlier sweeps with the same fit settings give one, the bound, the plan and the basis.
 */
export function sweepForecastLine(id: number, estimate: RunEstimate): string {
  const seconds = (s: number): string => `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const expected = estimate.expected;
  return `sweep ${id}: ${expected ? `expected about ${seconds(expected.seconds)}, ` : ''}at most ${seconds(estimate.seconds)} (${estimate.basis})${expected ? `; expected ${expected.basis}` : ''}`;
}

export async function sweepCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    ...fitOptions,
    ranks: { type: 'string' },
    replicates: { type: 'string' },
    'cv-folds': { type: 'string' },
    'cv-holdout': { type: 'string' },
    'cv-screen-after-warmup': { type: 'string' },
    'no-baseline': { type: 'boolean' },
    ...clusterPlanFlags,
    'consensus-replicates': { type: 'string' },
    'sample-folds': { type: 'string' },
    ...memoryBudgetFlag,
  });
  if (positionals.length !== 1) throw new UsageError('sweep takes one <matrix> path');
  const memoryBudget = memoryBudgetOf(values);
  const [fromRank, toRank] = parseRankRange(requireString(values, 'ranks'));
  const out = requireString(values, 'out');
  // A planned sweep's job folder must be new or empty; a sweep's folder may hold an earlier sweep.
  checkOutFolder(out, values.plan !== undefined ? JOB_LAYOUT : SWEEP_LAYOUT);
  const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
  const input: SweepParamsInput = {
    fromRank,
    toRank,
    replicates: numberFlag(values, 'replicates', { integer: true, min: 1, max: 200 }),
    cvFolds: numberFlag(values, 'cv-folds', { integer: true, min: 0, max: MAX_CV_FOLDS }),
    // Bounded by the schema's one rule (`cvHoldoutProblem`), which knows the folds.
    cvHoldout: numberFlag(values, 'cv-holdout'),
    cvScreenAfterWarmup: numberFlag(values, 'cv-screen-after-warmup', {
      integer: true,
      min: 0,
      max: 100_000,
    }),
    baseline: values['no-baseline'] !== true,
    consensusReplicates: numberFlag(values, 'consensus-replicates', { integer: true, min: 0, max: 200 }),
    sampleFolds: numberFlag(values, 'sample-folds', { integer: true, min: 0, max: 20 }),
    fit: fitParamsOf(values),
  };
  const parsed = sweepParamsSchema.safeParse(input);
  if (!parsed.success) throw settingsRefusal(parsed.error.issues);
  if (values.plan !== undefined)
    return planSweepCommand(
      planSourceOf(positionals[0], importOptionsOf(values), 'sweep'),
      parsed.data,
      values,
      io,
      open,
    );
  refuseClusterFlagsWithoutPlan(values);
  const services = openFor(values, open);
  applyMemoryBudget(services.ctx, memoryBudget);
  // Workers start while the file is read.
  services.ctx.pool.warm();
  const progress = io.stderrIsTty || values.progress === true;
  const stop = followProgress(services, io, progress, 'sweep');
  try {
    const dataset = await importForFit(
      services.ctx,
      positionals[0],
      values,
      completeRunParams({ ...parsed.data.fit, rank: toRank }),
      // Over the memory budget: refused before the matrix is stored.
      (shape) => {
        const sweep = withConsensusReplicates(shape, parsed.data);
        refuseOverBudget(sweepMemoryPlan(services.ctx, shape, sweep, planSweep(sweepSpecOf(sweep))));
      },
    );
    const { id } = createSweep(services.ctx, dataset.id, parsed.data);
    if (progress)
      io.stderr(
        `${sweepForecastLine(id, estimateSweep(services.ctx, dataset.id, parsed.data, engineRate(services.ctx)))}\n`,
      );
    const outcome = await executeSweep(services.ctx, id);
    await writeSweepFolder(services, id, out, normalize, outcome, io.stderr);
  } finally {
    stop();
    await services.close();
  }
}
