import { consensusMemoryPlan } from '../services/job-memory';
import { applyMemoryBudget, memoryBudgetFlag, memoryBudgetOf, refuseOverBudget } from './memory-budget-flag';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import {
  completeRunParams,
  consensusParamsSchema,
  formatLoss,
  parseLoss,
  type ConsensusDetail,
  type ConsensusParamsInput,
  type ConsensusRank,
  type RunParams,
} from '../../shared/domain';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import { fitNmf } from '../../shared/nmf';
import { componentNames, readFactorsTsv, writeMatrixTsv } from '../io';
import type { Services } from '../services';
import { createConsensus, executeConsensus, getConsensusDetail } from '../services/consensus';
import { getDatasetDetail, readImportFile, storeImported } from '../services/datasets';
import { matchedProblem, projectDataset, projectionFitOptions } from '../services/projections';
import { checkParamsAgainstData, getRunDetail, isRunDone, matrixHasZeros } from '../services/runs';
import {
  numberFlag,
  parse,
  parseRankRange,
  pathOrId,
  requireString,
  settingsRefusal,
  UsageError,
} from './args';
import {
  clusterPlanFlags,
  planConsensusCommand,
  planSourceOf,
  refuseClusterFlagsWithoutPlan,
} from './cluster-commands';
import {
  checkOutFolder,
  consensusLayout,
  JOB_LAYOUT,
  PROJECTION_LAYOUT,
  keptLibrary,
  storedRanksNote,
  writeOutFolder,
} from './out-folder';
import {
  fitOptions,
  fitParamsOf,
  followProgress,
  importForFit,
  importOptionsOf,
  matrixInputOptions,
  openFor,
  writeRunFolder,
  type CliIo,
  type OpenServices,
} from './commands';

/**
 * `nmf-studio project` (new samples onto a saved run's components) and `nmf-studio consensus`
 * (cNMF consensus components, Kotliar et al. 2019), over the same services as the app.
 */

/**
 * OUT/H.tsv (K × n, as `fit` writes H) and OUT/run.json of a projection.
 *
 * @param kept what the library holds of it, for a refusal after the work (writeOutFolder)
 */
async function writeProjectionFolder(
  out: string,
  H: DenseMatrix,
  sampleNames: readonly string[],
  json: Record<string, unknown>,
  kept: string,
): Promise<void> {
  await writeOutFolder(
    out,
    PROJECTION_LAYOUT,
    async (dir) => {
      await writeMatrixTsv(join(dir, 'H.tsv'), {
        matrix: H,
        rowNames: componentNames(H.rows),
        colNames: sampleNames,
        corner: 'component',
      });
      await writeFile(join(dir, 'run.json'), JSON.stringify(json, null, 2) + '\n');
    },
    kept,
  );
}

/** A run folder's parameters (run.json as `fit` writes it), for projecting without the library. */
async function runFolderParams(dir: string): Promise<{ params: RunParams; runId: number | null }> {
  const path = join(dir, 'run.json');
  if (!existsSync(path)) throw new UsageError(`${dir} is not a run folder: ${path} is missing`);
  let json: { params?: Record<string, unknown>; run_id?: unknown };
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as typeof json;
  } catch (error) {
    throw new UsageError(
      `${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const raw = json.params ?? {};
  const loss = parseLoss(typeof raw.loss === 'string' ? raw.loss : 'kl');
  if (!loss) throw new UsageError(`${path}: params.loss "${String(raw.loss)}" is not a loss`);
  const pick = (key: string): number | undefined => (typeof raw[key] === 'number' ? raw[key] : undefined);
  const params = completeRunParams({
    rank: pick('rank') ?? 1,
    loss: loss.loss,
    beta: loss.beta,
    solver: raw.solver === 'mu' || raw.solver === 'hals' ? raw.solver : undefined,
    maxIter: pick('maxIter'),
    tol: pick('tol'),
    l1H: pick('l1H'),
    l2H: pick('l2H'),
  });
  return { params, runId: typeof json.run_id === 'number' ? json.run_id : null };
}

export async function projectCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    out: { type: 'string' },
    'min-match': { type: 'string' },
    threads: { type: 'string' },
    ...memoryBudgetFlag,
  });
  if (positionals.length !== 2) throw new UsageError('project takes <run-dir|run-id> and a <matrix> path');
  const [ref, matrixPath] = positionals;
  const runRef = pathOrId(ref, 'project', 'runs list', { idOverPath: true });
  const out = typeof values.out === 'string' ? values.out : undefined;
  if (out !== undefined) checkOutFolder(out, PROJECTION_LAYOUT);
  const minShare = numberFlag(values, 'min-match', { min: 0, max: 1 });
  const memoryBudget = memoryBudgetOf(values);
  const services = openFor(values, open);
  applyMemoryBudget(services.ctx, memoryBudget);
  try {
    const importOptions = importOptionsOf(values);
    let runId: number | null = null;
    let folder: { params: RunParams; runId: number | null } | null = null;
    if ('id' in runRef) runId = runRef.id;
    else {
      folder = await runFolderParams(ref);
      // A folder written from this library names its run: project onto that run and store it.
      if (folder.runId !== null && isRunDone(services.ctx, folder.runId)) runId = folder.runId;
    }
    const imported = await readImportFile(matrixPath, importOptions);
    if (runId !== null) {
      let run;
      try {
        run = getRunDetail(services.ctx, runId);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
        throw error;
      }
      // Refuse before storing anything: the features must match.
      if (run.W) {
        matchedProblem(
          dense(run.rows, run.params.rank, run.W),
          run.featureNames,
          imported.matrix,
          imported.rowNames ?? [],
          minShare,
        );
      }
      const { dataset } = storeImported(services.ctx, imported, importOptions);
      const projection = await projectDataset(services.ctx, runId, dataset.id, { minShare });
      reportMatch(io, projection.matched, run.featureNames.length, projection.missing, projection.dropped);
      const json = {
        loss: projection.loss,
        loss_name: formatLoss(projection.params.loss, projection.params.beta),
        solver: projection.params.solver,
        iterations: projection.iterations,
        converged: projection.converged,
        matched_features: projection.matched,
        missing_features: projection.missing,
        dropped_features: projection.dropped,
        run_id: runId,
        dataset_id: dataset.id,
        projection_id: projection.id,
      };
      if (out) {
        await writeProjectionFolder(
          out,
          dense(projection.rank, projection.sampleNames.length, projection.H),
          projection.sampleNames,
          json,
          `projection ${projection.id} (onto run ${runId}, dataset ${dataset.id}) is stored in ${services.ctx.app.libraryPath}: the app shows it on run ${runId}'s page; no command writes its folder again`,
        );
      }
      io.stdout(
        JSON.stringify({
          projection: projection.id,
          matched: projection.matched,
          missing: projection.missing.length,
          dropped: projection.dropped.length,
        }) + '\n',
      );
      return;
    }
    // A folder from elsewhere: project, write, but nothing to link in the library.
    const params = (folder as { params: RunParams }).params;
    const factors = await readFactorsTsv(join(ref, 'W.tsv'), { kind: 'W' });
    const runFeatures =
      factors.names ?? Array.from({ length: factors.matrix.rows }, (_, i) => `feature${i + 1}`);
    const problem = matchedProblem(
      factors.matrix,
      runFeatures,
      imported.matrix,
      imported.rowNames ?? [],
      minShare,
    );
    checkParamsAgainstData({ ...params, rank: 1 }, problem.V.rows, problem.V.cols, matrixHasZeros(problem.V));
    const fit = fitNmf(problem.V, {
      ...projectionFitOptions(params, factors.matrix.cols),
      fixed: 'W',
      W0: problem.W,
    });
    reportMatch(
      io,
      problem.match.runRows.length,
      runFeatures.length,
      problem.match.missing,
      problem.match.dropped,
    );
    io.stderr(`note: ${ref} names no run of this library, so the projection is written but not stored\n`);
    const sampleNames = imported.colNames ?? Array.from({ length: fit.H.cols }, (_, j) => `sample${j + 1}`);
    const json = {
      loss: fit.loss,
      loss_name: formatLoss(params.loss, params.beta),
      solver: params.solver,
      iterations: fit.iterations,
      converged: fit.converged,
      matched_features: problem.match.runRows.length,
      missing_features: problem.match.missing,
      dropped_features: problem.match.dropped,
      run_id: null,
      dataset_id: null,
      projection_id: null,
    };
    if (out) await writeProjectionFolder(out, fit.H, sampleNames, json, 'nothing was stored in the library');
    io.stdout(
      JSON.stringify({
        projection: null,
        matched: problem.match.runRows.length,
        missing: problem.match.missing.length,
        dropped: problem.match.dropped.length,
      }) + '\n',
    );
  } finally {
    await services.close();
  }
}

function reportMatch(io: CliIo, matched: number, of: number, missing: string[], dropped: string[]): void {
  io.stderr(
    `project: ${matched} of the run's ${of} features matched; ${missing.length} missing from the new matrix, ${dropped.length} of its features not in the run (left out)\n`,
  );
}

/** consensus.json as CLI.md names its fields (plus what the library adds). */
function consensusJson(entry: ConsensusRank, detail: ConsensusDetail): Record<string, unknown> {
  const columns = (keys: string[]): Array<{ replicate: number; component: number }> =>
    keys.map((key) => {
      const [replicate, component] = key.split(':').map(Number);
      return { replicate, component };
    });
  return {
    rank: entry.rank,
    replicates: detail.params.replicates,
    kept_columns: columns(entry.kept),
    dropped_columns: columns(entry.dropped),
    silhouette: entry.silhouette,
    density: entry.density,
    threshold: entry.threshold,
    neighbours: entry.neighbours,
    stability: entry.stability,
    error: entry.error2,
    consensus_id: detail.id,
    run_id: entry.runId,
  };
}

export async function consensusCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    ...fitOptions,
    rank: { type: 'string' },
    ranks: { type: 'string' },
    replicates: { type: 'string' },
    'density-threshold': { type: 'string' },
    neighbours: { type: 'string' },
    ...clusterPlanFlags,
    ...memoryBudgetFlag,
  });
  if (positionals.length !== 1) throw new UsageError('consensus takes one <matrix> path or dataset id');
  const memoryBudget = memoryBudgetOf(values);
  const rank = numberFlag(values, 'rank', { integer: true, min: 1 });
  if ((rank === undefined) === (typeof values.ranks !== 'string'))
    throw new UsageError('consensus takes either --rank K or --ranks A..B');
  const [fromRank, toRank] = rank !== undefined ? [rank, rank] : parseRankRange(values.ranks as string);
  const out = requireString(values, 'out');
  // A planned consensus's job folder must be new or empty; a consensus folder may hold an earlier one.
  checkOutFolder(out, values.plan !== undefined ? JOB_LAYOUT : consensusLayout(fromRank, toRank));
  const normalize = values.normalize === 'l1' || values.normalize === 'l2' ? values.normalize : undefined;
  const input: ConsensusParamsInput = {
    fromRank,
    toRank,
    replicates: numberFlag(values, 'replicates', { integer: true, min: 2, max: 1000 }),
    densityThreshold: numberFlag(values, 'density-threshold', { min: Number.MIN_VALUE, max: 10 }),
    neighbours: numberFlag(values, 'neighbours', { integer: true, min: 1 }),
    fit: fitParamsOf(values),
  };
  const parsed = consensusParamsSchema.safeParse(input);
  if (!parsed.success) throw settingsRefusal(parsed.error.issues);
  const source = planSourceOf(positionals[0], importOptionsOf(values), 'consensus');
  if (values.plan !== undefined) {
    await planConsensusCommand(source, parsed.data, values, io, open);
    return;
  }
  refuseClusterFlagsWithoutPlan(values);
  const services = openFor(values, open);
  applyMemoryBudget(services.ctx, memoryBudget);
  const stop = followProgress(services, io, io.stderrIsTty || values.progress === true, 'consensus');
  try {
    let datasetId: number;
    if ('datasetId' in source) {
      datasetId = source.datasetId;
      try {
        getDatasetDetail(services.ctx, datasetId);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
        throw error;
      }
    } else {
      const dataset = await importForFit(
        services.ctx,
        positionals[0],
        values,
        completeRunParams({ ...parsed.data.fit, rank: toRank }),
        // Over the memory budget: refused before the matrix is stored.
        (shape) => refuseOverBudget(consensusMemoryPlan(services.ctx, shape, parsed.data)),
      );
      datasetId = dataset.id;
    }
    const id = createConsensus(services.ctx, datasetId, parsed.data);
    const outcome = await executeConsensus(services.ctx, id);
    const detail = getConsensusDetail(services.ctx, id);
    if (outcome !== 'done') throw new Error(`consensus ${outcome}: ${detail.error ?? 'no reason recorded'}`);
    await writeConsensusFolder(services, id, out, normalize, io);
  } finally {
    stop();
    await services.close();
  }
}

/**
 * What `consensus` writes for a finished consensus (the local run's and `sweep-merge`'s): W.tsv,
 * H.tsv, run.json and consensus.json per rank (in OUT for one rank, OUT/k<rank>/ for a range, with
 * OUT/ranks.json, cNMF's k-selection table). Refuses when no rank has a consensus, before OUT is
 * touched (an earlier output there stays).
 */
export async function writeConsensusFolder(
  services: Services,
  id: number,
  out: string,
  normalize: 'l1' | 'l2' | undefined,
  io: CliIo,
): Promise<void> {
  const detail = getConsensusDetail(services.ctx, id);
  const { fromRank, toRank } = detail.params;
  if (detail.ranks.every((entry) => entry.runId === null)) {
    throw new UsageError(`no rank has a consensus: ${detail.ranks[0]?.error ?? 'unknown reason'}`);
  }
  for (const entry of detail.ranks)
    if (entry.runId === null) io.stderr(`warning: rank ${entry.rank}: ${entry.error ?? 'no consensus'}\n`);
  // An earlier consensus's files go: a rank without a consensus now leaves no k<rank>/ of before.
  await writeOutFolder(
    out,
    consensusLayout(fromRank, toRank),
    (dir) => writeConsensusFiles(services, detail, dir, normalize),
    storedRanksNote(keptLibrary(services.ctx.app), `consensus ${id}`, detail.ranks),
  );
}

/** The files of writeConsensusFolder, into `dir`. */
async function writeConsensusFiles(
  services: Services,
  detail: ConsensusDetail,
  out: string,
  normalize: 'l1' | 'l2' | undefined,
): Promise<void> {
  const { fromRank, toRank } = detail.params;
  for (const entry of detail.ranks) {
    if (entry.runId === null) continue;
    const dir = fromRank === toRank ? out : join(out, `k${entry.rank}`);
    await writeRunFolder(dir, getRunDetail(services.ctx, entry.runId), normalize);
    await writeFile(
      join(dir, 'consensus.json'),
      JSON.stringify(consensusJson(entry, detail), null, 2) + '\n',
    );
  }
  if (fromRank !== toRank) {
    // cNMF's k-selection table (`k_selection_plot`): stability and error per k.
    const table = {
      consensus_id: detail.id,
      criterion: 'cNMF stability (silhouette of the unfiltered clustering) against consensus error',
      ranks: detail.ranks.map((entry) => ({
        rank: entry.rank,
        silhouette: entry.stability,
        error: entry.error2,
        silhouette_filtered: entry.silhouette,
        loss: entry.loss,
        run_id: entry.runId,
      })),
    };
    await writeFile(join(out, 'ranks.json'), JSON.stringify(table, null, 2) + '\n');
  }
}
