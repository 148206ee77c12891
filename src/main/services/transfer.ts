import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError, type LibraryMergeResult } from '../../shared/api';
import {
  completeRunParams,
  type RunParams,
  type RunParamsInput,
  type RunProvenance,
  type RunSummary,
} from '../../shared/domain';
import { restoreNeutralised } from '../../shared/export/spreadsheet';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import { betaDivergence, poissonLogLikelihood } from '../../shared/nmf';
import { readFactorsTsv, type ReadFactor } from '../io';
import type { ServiceContext } from './context';
import { baseProvenance, storeFinishedRun } from './finished-runs';
import { loadDataset, toServiceError } from './datasets';
import { getRunSummary } from './runs';

/**
 * Moving runs and libraries in and out: factors produced elsewhere (scikit-learn or R W/H tables,
 * cNMF spectra and usages, or a run exported by NMF Studio), a copy of the whole library, and the
 * merge of another library into this one.
 */

/** Puts W's rows in the dataset's feature order (by name when the file has names). */
function alignRows(W: ReadFactor, featureNames: readonly string[], file: string): DenseMatrix {
  const m = featureNames.length;
  const k = W.matrix.cols;
  if (!W.names) {
    if (W.matrix.rows !== m)
      throw new ServiceError('bad_input', `${file}: W has ${W.matrix.rows} rows, the dataset ${m} features`, {
        file,
      });
    return W.matrix;
  }
  // Names in tables NMF Studio exported may carry the quote that neutralises spreadsheet formulas.
  const index = new Map(W.names.map((name, i) => [restoreNeutralised(name), i]));
  for (const [i, name] of W.names.entries()) if (!index.has(name)) index.set(name, i);
  const out = dense(m, k);
  for (let i = 0; i < m; i++) {
    const row = index.get(featureNames[i]);
    if (row === undefined)
      throw new ServiceError('bad_input', `${file}: no row for feature "${featureNames[i]}" of the dataset`, {
        file,
        value: featureNames[i],
      });
    out.data.set(W.matrix.data.subarray(row * k, (row + 1) * k), i * k);
  }
  return out;
}

/** Puts H's columns in the dataset's sample order (by name when the file has names). */
function alignColumns(H: ReadFactor, sampleNames: readonly string[], file: string): DenseMatrix {
  const n = sampleNames.length;
  const k = H.matrix.rows;
  if (!H.names) {
    if (H.matrix.cols !== n)
      throw new ServiceError(
        'bad_input',
        `${file}: H has ${H.matrix.cols} columns, the dataset ${n} samples`,
        { file },
      );
    return H.matrix;
  }
  const index = new Map(H.names.map((name, j) => [restoreNeutralised(name), j]));
  for (const [j, name] of H.names.entries()) if (!index.has(name)) index.set(name, j);
  const out = dense(k, n);
  for (let j = 0; j < n; j++) {
    const col = index.get(sampleNames[j]);
    if (col === undefined)
      throw new ServiceError(
        'bad_input',
        `${file}: no column for sample "${sampleNames[j]}" of the dataset`,
        { file, value: sampleNames[j] },
      );
    for (let c = 0; c < k; c++) out.data[c * n + j] = H.matrix.data[c * H.matrix.cols + col];
  }
  return out;
}

export interface FactorImport {
  /** Paths of the W (or cNMF spectra) and H (or cNMF usages) files. */
  wPath: string;
  hPath: string;
  /** Names shown in messages (the user's file names). */
  wName?: string;
  hName?: string;
  /** The tool that produced them, recorded in the provenance (`scikit-learn`, `R NMF`, `cNMF`, `NMF Studio` …). */
  tool: string;
  /** Parameters to record; the loss decides which divergence is computed. Default: KL for counts. */
  params?: Partial<RunParamsInput>;
  provenance?: Partial<RunProvenance>;
  notes?: string;
}

/**
 * Stores factors computed elsewhere as a finished run of a dataset, so they can be read and compared
 * like our own. Rows and columns are matched by name; the loss and log-likelihood are computed here.
 */
export async function importFactors(
  ctx: ServiceContext,
  datasetId: number,
  request: FactorImport,
): Promise<RunSummary> {
  const { matrix: V, rowNames, colNames, hash } = loadDataset(ctx, datasetId);
  const wName = request.wName ?? request.wPath;
  const hName = request.hName ?? request.hPath;
  let W: ReadFactor;
  let H: ReadFactor;
  try {
    W = await readFactorsTsv(request.wPath, { kind: 'W', featureNames: rowNames });
  } catch (error) {
    throw toServiceError(error, wName);
  }
  try {
    H = await readFactorsTsv(request.hPath, { kind: 'H', sampleNames: colNames });
  } catch (error) {
    throw toServiceError(error, hName);
  }
  const Wd = alignRows(W, rowNames, wName);
  const Hd = alignColumns(H, colNames, hName);
  if (Wd.cols !== Hd.rows) {
    throw new ServiceError('bad_input', `W has ${Wd.cols} components but H has ${Hd.rows}`, { file: hName });
  }
  for (const [name, factor] of [
    [wName, Wd],
    [hName, Hd],
  ] as const) {
    const bad = factor.data.findIndex((x) => !(x >= 0) || !Number.isFinite(x));
    if (bad >= 0) {
      throw new ServiceError(
        'bad_input',
        `${name}: entry ${Math.floor(bad / factor.cols) + 1}, ${(bad % factor.cols) + 1} is ${factor.data[bad]}: factors must be finite and non-negative`,
        {
          file: name,
          value: String(factor.data[bad]),
        },
      );
    }
  }
  const k = Wd.cols;
  // Factors fitted elsewhere had no warm-up of ours unless their run.json says so.
  const params: RunParams = completeRunParams({
    warmup: 0,
    ...request.params,
    warmupTol: 0,
    rank: k,
    replicates: 1,
  });
  const loss = betaDivergence(V, Wd, Hd, params.beta);
  const loglik = params.beta === 1 ? poissonLogLikelihood(V, Wd, Hd) : null;
  const provenance: RunProvenance = {
    ...baseProvenance(ctx, {
      dataHash: hash,
      params,
      bestSeed: null,
      warnings: [...W.warnings, ...H.warnings],
    }),
    ...request.provenance,
    importedFrom: { tool: request.tool, files: [wName, hName] },
  };
  const id = ctx.db.transaction(() => {
    const runId = storeFinishedRun(ctx, {
      datasetId,
      sweepId: null,
      params,
      owner: null,
      iterations: 0,
      converged: true,
      loss,
      loglik,
      seconds: 0,
      trace: [[0, loss]],
      W: Wd.data,
      H: Hd.data,
      provenance,
    });
    if (request.notes) ctx.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(request.notes, runId);
    return runId;
  })();
  ctx.events.emit('library:changed', { what: 'runs', id });
  return getRunSummary(ctx, id);
}

/** Re-imports a run folder written by `runs export` / `fit` (W.tsv, H.tsv, run.json) into a dataset. */
/**
 * Why `dir` is not a run folder holding `files` (as `fit` writes them), or null when it is one: no
 * such folder, a file, or which of the files are missing. Said rather than the first missing
 * file's "no such file", which does not name the folder that was given.
 */
export function runFolderProblem(dir: string, files: readonly string[]): string | null {
  const missing = files.filter((name) => !existsSync(join(dir, name)));
  if (missing.length === 0) return null;
  if (!existsSync(dir)) return 'no such folder';
  if (!statSync(dir).isDirectory()) return 'a file, not a folder';
  return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing`;
}

export async function importRunFolder(
  ctx: ServiceContext,
  datasetId: number,
  dir: string,
): Promise<RunSummary> {
  // Named as the folder it is not, rather than by the first file missing from it (W.tsv).
  const problem = runFolderProblem(dir, ['W.tsv', 'H.tsv']);
  if (problem !== null) {
    throw new ServiceError('bad_input', `${dir} is not a run folder (W.tsv, H.tsv, run.json): ${problem}`, {
      file: dir,
    });
  }
  const runJsonPath = join(dir, 'run.json');
  let runJson: {
    params?: Partial<RunParamsInput> & { loss?: string; normalize?: string };
    provenance?: Partial<RunProvenance> | null;
  } = {};
  if (existsSync(runJsonPath)) {
    try {
      runJson = JSON.parse(await readFile(runJsonPath, 'utf8')) as typeof runJson;
    } catch (error) {
      throw new ServiceError('bad_input', `${runJsonPath}: not valid JSON (${(error as Error).message})`, {
        file: runJsonPath,
      });
    }
  }
  const { normalize: _normalize, loss: lossText, ...rest } = runJson.params ?? {};
  const params: Partial<RunParamsInput> = { ...rest };
  if (lossText) {
    const beta = /^beta=(.+)$/.exec(lossText);
    if (beta) Object.assign(params, { loss: 'beta', beta: Number(beta[1]) });
    else if (lossText === 'kl' || lossText === 'frobenius' || lossText === 'is') params.loss = lossText;
  }
  delete (params as Record<string, unknown>).rank;
  delete (params as Record<string, unknown>).replicates;
  return importFactors(ctx, datasetId, {
    wPath: join(dir, 'W.tsv'),
    hPath: join(dir, 'H.tsv'),
    tool: 'NMF Studio (exported run)',
    params,
    provenance: runJson.provenance ?? undefined,
  });
}

/** A consistent copy of the whole library in one file (SQLite's VACUUM INTO). */
export function exportLibrary(ctx: ServiceContext, path: string): { path: string } {
  if (existsSync(path)) throw new ServiceError('conflict', `${path} already exists; choose a new file name`);
  ctx.db.prepare('VACUUM INTO ?').run(path);
  return { path };
}

export type { LibraryMergeResult };

export { importLibrary, verifyIncomingLibrary, type LibraryMergeOptions } from './library-merge';
