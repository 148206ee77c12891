import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { plantCellModules } from '../../shared/analysis/synthetic-cells';
import { writeCellsH5ad, writeCellsMtx } from '../io/cell-writers';
import { choiceFlag, numberFlag, parse, requireString, UsageError } from './args';
import type { CliIo } from './commands';
import { checkOutFolder, SYNTH_CELLS_LAYOUT, writeOutFolder } from './out-folder';

/**
 * `nmf-studio synth --cells N --features M --rank R [--moonlighting F] [--depth D]
 *  [--concentration A] [--seed S] [--format h5ad|mtx] [--progress] --out DIR`
 *
 * Large sparse count data with planted modules (`plantCellModules`: the gene modules of `synth`,
 * cells drawn one at a time), written as they are drawn, never as a dense matrix:
 *   h5ad → DIR/cells.h5ad (AnnData, CSR X cells × genes; the importer transposes it);
 *   mtx  → DIR/matrix.mtx, DIR/features.tsv, DIR/barcodes.tsv (Cell Ranger's genes × cells).
 * Also DIR/truth.json: the planted W (genes × modules), each gene's module and the moonlighting
 * genes (the cells' module mixes, R × N, are not written: at 10⁶ cells they would dwarf the rest).
 * Prints JSON {file, rows, cols, nnz, density, seconds} on stdout.
 */
export async function synthCellsCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, {
    cells: { type: 'string' },
    features: { type: 'string' },
    rank: { type: 'string' },
    moonlighting: { type: 'string' },
    depth: { type: 'string' },
    concentration: { type: 'string' },
    seed: { type: 'string' },
    format: { type: 'string' },
    progress: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (positionals.length)
    throw new UsageError(`synth takes no positional arguments, got "${positionals[0]}"`);
  const cells = numberFlag(values, 'cells', { integer: true, min: 1, max: 100_000_000 });
  const features = numberFlag(values, 'features', { integer: true, min: 2, max: 1_000_000 }) ?? 2000;
  const rank = numberFlag(values, 'rank', { integer: true, min: 2 });
  if (cells === undefined || rank === undefined) throw new UsageError('--cells and --rank are required');
  if (rank > features) throw new UsageError(`--rank ${rank} exceeds --features ${features}`);
  const moonlighting = numberFlag(values, 'moonlighting', { min: 0, max: 1 }) ?? 0.05;
  const depth = numberFlag(values, 'depth', { min: Number.MIN_VALUE });
  const concentration = numberFlag(values, 'concentration', { min: Number.MIN_VALUE });
  const seed = numberFlag(values, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }) ?? 0;
  const format = choiceFlag(values, 'format', ['h5ad', 'mtx'] as const) ?? 'h5ad';
  const out = requireString(values, 'out');
  checkOutFolder(out, SYNTH_CELLS_LAYOUT);
  const started = Date.now();
  const model = plantCellModules({ features, cells, rank, moonlighting, depth, concentration, seed });
  const showProgress = values.progress === true || io.stderrIsTty;
  const progress = showProgress
    ? (done: number): void =>
        io.stderr(`synth: ${done}/${cells} cells, ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
    : undefined;
  // Nothing is stored: the same flags write the same files again.
  const written = await writeOutFolder(
    out,
    SYNTH_CELLS_LAYOUT,
    async (dir) => {
      const cellsFile =
        format === 'h5ad'
          ? await writeCellsH5ad(join(dir, 'cells.h5ad'), model, { progress })
          : writeCellsMtx(dir, model, { progress });
      const rowsOf = (data: Float64Array, cols: number): number[][] =>
        Array.from({ length: data.length / cols }, (_, i) =>
          Array.from(data.subarray(i * cols, (i + 1) * cols)),
        );
      const truth = {
        generator: 'nmf-studio synth --cells (planted gene modules, cells drawn one at a time)',
        seed,
        genes: features,
        cells,
        R: rank,
        depth: model.depth,
        depth_spread: model.depthSpread,
        concentration: model.concentration,
        moonlight_frac: moonlighting,
        gene_names: model.featureNames,
        module: model.module,
        moonlighting: model.moonlighting.map((m) => ({
          feature: m.feature,
          gene: m.feature,
          index: m.index,
          modules: m.modules,
        })),
        W: rowsOf(model.W.data, rank),
      };
      await writeFile(join(dir, 'truth.json'), JSON.stringify(truth) + '\n');
      // Named where it ends up, not in the folder it is written to first.
      return { ...cellsFile, file: join(out, basename(cellsFile.file)) };
    },
    null,
  );
  io.stdout(
    JSON.stringify({
      file: written.file,
      rows: written.rows,
      cols: written.cols,
      nnz: written.nnz,
      density: written.nnz / (written.rows * written.cols),
      seconds: (Date.now() - started) / 1000,
    }) + '\n',
  );
}
