import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import { alignComponents, assignModules, synthesizeGeneModules } from '../../shared/analysis';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import { readFactorsTsv, writeMatrixTsv } from '../io';
import { getRunDetail } from '../services/runs';
import { runFolderProblem } from '../services/transfer';
import { choiceFlag, numberFlag, parse, pathOrId, requireString, UsageError, type PathOrId } from './args';
import { openFor, type CliIo, type OpenServices } from './common';
import { checkOutFolder, SYNTH_LAYOUT, writeOutFolder } from './out-folder';

/**
 * The `nmf-studio` commands (CLI.md). Each takes its arguments and an opener for the services
 * (so `--db` and `--no-save` decide which library), prints results on stdout and progress on stderr.
 * Here: `synth`, `assign` and `align`; the others are re-exported from the files of their group.
 */

// The commands and helpers of the other files, under the names other modules import from here.
export * from './common';
export * from './out-folder';
export * from './folders';
export * from './fit-commands';
export * from './library-commands';

export async function synthCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    features: { type: 'string' },
    samples: { type: 'string' },
    rank: { type: 'string' },
    moonlighting: { type: 'string' },
    depth: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  if (positionals.length)
    throw new UsageError(`synth takes no positional arguments, got "${positionals[0]}"`);
  const features = numberFlag(values, 'features', { integer: true, min: 2 });
  const samples = numberFlag(values, 'samples', { integer: true, min: 2 });
  const rank = numberFlag(values, 'rank', { integer: true, min: 1 });
  if (features === undefined || samples === undefined || rank === undefined)
    throw new UsageError('--features, --samples and --rank are required');
  if (rank > Math.min(features, samples))
    throw new UsageError(`--rank ${rank} exceeds min(features, samples) = ${Math.min(features, samples)}`);
  const moonlighting = numberFlag(values, 'moonlighting', { min: 0, max: 1 }) ?? 0.05;
  if (moonlighting > 0 && rank < 2)
    throw new UsageError('moonlighting features need --rank of at least 2 (or --moonlighting 0)');
  const depth = numberFlag(values, 'depth', { min: Number.MIN_VALUE });
  const seed = numberFlag(values, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }) ?? 0;
  const out = requireString(values, 'out');
  checkOutFolder(out, SYNTH_LAYOUT);
  const synthetic = synthesizeGeneModules({ features, samples, rank, moonlighting, depth, seed });
  // Nothing is stored: the same flags write the same files again.
  await writeOutFolder(
    out,
    SYNTH_LAYOUT,
    async (dir) => {
      await writeMatrixTsv(join(dir, 'V.tsv'), {
        matrix: synthetic.V,
        rowNames: synthetic.featureNames,
        colNames: synthetic.sampleNames,
        corner: 'gene',
      });
      const rowsOf = (m: DenseMatrix): number[][] =>
        Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
      const truth = {
        generator: 'nmf-studio synth (gene modules with moonlighting genes)',
        seed,
        N: features,
        M: samples,
        R: rank,
        depth: synthetic.truth.depth,
        moonlight_frac: moonlighting,
        genes: synthetic.featureNames,
        conditions: synthetic.sampleNames,
        module: synthetic.truth.module,
        moonlighting: synthetic.truth.moonlighting.map((m) => ({
          feature: m.feature,
          gene: m.feature,
          index: m.index,
          modules: m.modules,
        })),
        W: rowsOf(synthetic.truth.W),
        H: rowsOf(synthetic.truth.H),
      };
      await writeFile(join(dir, 'truth.json'), JSON.stringify(truth) + '\n');
    },
    null,
  );
}

/** `<run-dir|run-id>`: refused here when it looks like an id but is none; `command` names it. */
function runRef(text: string, command: string): PathOrId {
  return pathOrId(text, command, 'runs list', { idOverPath: true });
}

/** A run given as a folder written by `fit` (W.tsv) or as a library run id. */
async function loadRunW(
  source: PathOrId,
  values: Record<string, unknown>,
  open: OpenServices,
): Promise<{ W: DenseMatrix; featureNames: string[] }> {
  if ('id' in source) {
    const services = openFor(values, open, true);
    try {
      const run = getRunDetail(services.ctx, source.id);
      if (!run.W) throw new UsageError(`run ${source.id} has no factors (state ${run.state})`);
      return { W: dense(run.rows, run.params.rank, run.W), featureNames: run.featureNames };
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
      throw error;
    } finally {
      await services.close();
    }
  }
  const ref = source.path;
  const problem = runFolderProblem(ref, ['W.tsv']);
  if (problem !== null)
    throw new UsageError(`${ref} is neither a run folder (W.tsv, as fit writes it) nor a run id: ${problem}`);
  const factors = await readFactorsTsv(join(ref, 'W.tsv'), { kind: 'W' });
  return {
    W: factors.matrix,
    featureNames: factors.names ?? Array.from({ length: factors.matrix.rows }, (_, i) => `feature${i + 1}`),
  };
}

export async function assignCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { threshold: { type: 'string' }, db: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('assign takes one <run-dir|run-id>');
  const run = runRef(positionals[0], 'assign');
  const threshold = numberFlag(values, 'threshold', { min: 0, max: 1 });
  const { W, featureNames } = await loadRunW(run, values, open);
  const assignment = assignModules(W, threshold === undefined ? {} : { threshold });
  const modules: Record<string, number[]> = {};
  featureNames.forEach((name, i) => (modules[name] = assignment.modules[i]));
  io.stdout(
    JSON.stringify(
      {
        modules,
        moonlighting: assignment.moonlighting.map((i) => featureNames[i]),
        threshold: assignment.threshold,
        default_threshold: assignment.defaultThreshold,
        multi_module: assignment.multiModule.map((i) => featureNames[i]),
      },
      null,
      2,
    ) + '\n',
  );
}

export async function alignCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { metric: { type: 'string' }, db: { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError('align takes two <run-dir|run-id> arguments');
  const [runA, runB] = positionals.map((text) => runRef(text, 'align'));
  const metric = choiceFlag(values, 'metric', ['cosine', 'pearson'] as const) ?? 'cosine';
  const a = await loadRunW(runA, values, open);
  const b = await loadRunW(runB, values, open);
  let WA = a.W;
  let WB = b.W;
  if (a.featureNames.join('\u0000') !== b.featureNames.join('\u0000')) {
    // Different feature sets: compare on the features both share, in A's order.
    const inB = new Map(b.featureNames.map((n, i) => [n, i]));
    const shared = a.featureNames
      .map((n, i) => [i, inB.get(n)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined);
    if (shared.length === 0) throw new UsageError('the two runs share no feature names');
    WA = dense(shared.length, a.W.cols);
    WB = dense(shared.length, b.W.cols);
    shared.forEach(([i, j], row) => {
      WA.data.set(a.W.data.subarray(i * a.W.cols, (i + 1) * a.W.cols), row * a.W.cols);
      WB.data.set(b.W.data.subarray(j * b.W.cols, (j + 1) * b.W.cols), row * b.W.cols);
    });
  }
  const alignment = alignComponents(WA, WB, metric);
  io.stdout(
    JSON.stringify(
      {
        metric,
        similarity: alignment.similarity,
        matches: alignment.matches,
        unmatched_a: alignment.unmatchedA,
        unmatched_b: alignment.unmatchedB,
      },
      null,
      2,
    ) + '\n',
  );
}
