import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import {
  completeRunParams,
  type RunParams,
  type RunParamsInput,
  type RunProvenance,
  type RunSummary,
} from '../../shared/domain';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import { betaDivergence, poissonLogLikelihood } from '../../shared/nmf';
import { openLibrary } from '../db/connection';
import { toBlob, traceToBlob } from '../db/blobs';
import { completeRun, insertRun, markRunStarted } from '../db/queries/runs';
import { readFactorsTsv, type ReadFactor } from '../io';
import type { ServiceContext } from './context';
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
  const index = new Map(W.names.map((name, i) => [name, i]));
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
  const index = new Map(H.names.map((name, j) => [name, j]));
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
  const params: RunParams = completeRunParams({ ...request.params, rank: k, replicates: 1 });
  const loss = betaDivergence(V, Wd, Hd, params.beta);
  const loglik = params.beta === 1 ? poissonLogLikelihood(V, Wd, Hd) : null;
  const provenance: RunProvenance = {
    appVersion: ctx.app.version,
    engineVersion: ctx.app.engineVersion,
    dataHash: hash,
    params,
    bestSeed: null,
    warnings: [...W.warnings, ...H.warnings],
    platform: `${process.platform}-${process.arch} node ${process.versions.node}`,
    ...request.provenance,
    importedFrom: { tool: request.tool, files: [wName, hName] },
  };
  const id = ctx.db.transaction(() => {
    const runId = insertRun(ctx.db, {
      dataset_id: datasetId,
      sweep_id: null,
      params: JSON.stringify(params),
      created_at: ctx.now(),
    });
    markRunStarted(ctx.db, runId, ctx.now());
    completeRun(ctx.db, runId, {
      iterations: 0,
      converged: true,
      loss,
      loglik,
      seconds: 0,
      trace: traceToBlob([[0, loss]]),
      w: toBlob(Wd.data),
      h: toBlob(Hd.data),
      provenance: JSON.stringify(provenance),
      finished_at: ctx.now(),
    });
    if (request.notes) ctx.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(request.notes, runId);
    return runId;
  })();
  ctx.events.emit('library:changed', { what: 'runs', id });
  return getRunSummary(ctx, id);
}

/** Re-imports a run folder written by `runs export` / `fit` (W.tsv, H.tsv, run.json) into a dataset. */
export async function importRunFolder(
  ctx: ServiceContext,
  datasetId: number,
  dir: string,
): Promise<RunSummary> {
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

export interface LibraryMergeResult {
  datasetsAdded: number;
  datasetsExisting: number;
  runsAdded: number;
  sweepsAdded: number;
}

/**
 * Merges another library file into this one, in one transaction. Datasets are matched by content
 * hash (present ones are not copied twice); runs and sweeps are copied with their ids remapped. The
 * other file is first copied and brought to this version's schema (it is never modified), and a
 * library from a newer version is refused.
 */
export function importLibrary(ctx: ServiceContext, path: string): LibraryMergeResult {
  if (!existsSync(path)) throw new ServiceError('not_found', `${path} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), 'nmf-merge-'));
  const staged = join(dir, 'incoming.sqlite');
  try {
    copyFileSync(path, staged);
    try {
      openLibrary(staged).close();
    } catch (error) {
      throw new ServiceError('bad_input', `${path}: ${(error as Error).message}`, { file: path });
    }
    const db = ctx.db;
    db.prepare('ATTACH DATABASE ? AS incoming').run(staged);
    try {
      const result = db.transaction((): LibraryMergeResult => {
        const datasetMap = new Map<number, number>();
        let datasetsAdded = 0;
        let datasetsExisting = 0;
        const datasets = db.prepare('SELECT * FROM incoming.datasets').all() as Array<
          Record<string, unknown> & { id: number; hash: string }
        >;
        for (const d of datasets) {
          const existing = db.prepare('SELECT id FROM main.datasets WHERE hash = ?').get(d.hash) as
            { id: number } | undefined;
          if (existing) {
            datasetMap.set(d.id, existing.id);
            datasetsExisting++;
            continue;
          }
          const { id: _oldId, ...row } = d;
          const columns = Object.keys(row);
          const info = db
            .prepare(
              `INSERT INTO main.datasets (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
            )
            .run(row);
          const newId = Number(info.lastInsertRowid);
          db.prepare(
            'INSERT INTO main.dataset_chunks (dataset_id, part, seq, data) SELECT ?, part, seq, data FROM incoming.dataset_chunks WHERE dataset_id = ?',
          ).run(newId, d.id);
          datasetMap.set(d.id, newId);
          datasetsAdded++;
        }
        const sweepMap = new Map<number, number>();
        const sweeps = db.prepare('SELECT * FROM incoming.sweeps').all() as Array<
          Record<string, unknown> & { id: number; dataset_id: number }
        >;
        for (const s of sweeps) {
          const { id: _oldId, ...row } = s;
          row.dataset_id = datasetMap.get(s.dataset_id)!;
          const columns = Object.keys(row);
          const newId = Number(
            db
              .prepare(
                `INSERT INTO main.sweeps (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
              )
              .run(row).lastInsertRowid,
          );
          db.prepare(
            'INSERT INTO main.sweep_jobs (sweep_id, job_key, result) SELECT ?, job_key, result FROM incoming.sweep_jobs WHERE sweep_id = ?',
          ).run(newId, s.id);
          sweepMap.set(s.id, newId);
        }
        let runsAdded = 0;
        const runs = db.prepare('SELECT * FROM incoming.runs WHERE deleted_at IS NULL').all() as Array<
          Record<string, unknown> & { id: number; dataset_id: number; sweep_id: number | null }
        >;
        for (const r of runs) {
          const { id: _oldId, ...row } = r;
          row.dataset_id = datasetMap.get(r.dataset_id)!;
          row.sweep_id = r.sweep_id === null ? null : (sweepMap.get(r.sweep_id) ?? null);
          const duplicate = db
            .prepare(
              'SELECT 1 FROM main.runs WHERE dataset_id = ? AND created_at = ? AND params = ? AND state = ?',
            )
            .get(row.dataset_id, row.created_at, row.params, row.state);
          if (duplicate && r.sweep_id === null) continue;
          const columns = Object.keys(row);
          db.prepare(
            `INSERT INTO main.runs (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
          ).run(row);
          runsAdded++;
        }
        // Sweep summaries name their runs by id: rewrite those ids to the new ones.
        for (const [oldId, newId] of sweepMap) {
          const row = db.prepare('SELECT result FROM main.sweeps WHERE id = ?').get(newId) as {
            result: string | null;
          };
          if (!row.result) continue;
          const stored = JSON.parse(row.result) as { ranks: Array<{ rank: number; runId: number | null }> };
          for (const rank of stored.ranks) {
            const run = db
              .prepare(
                "SELECT id FROM main.runs WHERE sweep_id = ? AND json_extract(params, '$.rank') = ? ORDER BY id LIMIT 1",
              )
              .get(newId, rank.rank) as { id: number } | undefined;
            rank.runId = run?.id ?? null;
          }
          db.prepare('UPDATE main.sweeps SET result = ? WHERE id = ?').run(JSON.stringify(stored), newId);
          void oldId;
        }
        return { datasetsAdded, datasetsExisting, runsAdded, sweepsAdded: sweepMap.size };
      })();
      ctx.events.emit('library:changed', { what: 'datasets', id: null });
      ctx.events.emit('library:changed', { what: 'runs', id: null });
      return result;
    } finally {
      db.prepare('DETACH DATABASE incoming').run();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
