import { ServiceError } from '../../shared/api';
import { parseLoss, RUN_DEFAULTS } from '../../shared/domain';
import {
  deleteDatasetById,
  getDatasetDetail,
  importDatasetFile,
  listDatasetSummaries,
} from '../services/datasets';
import { deleteRun, getRunDetail, getRunSummary, listRunSummaries } from '../services/runs';
import { exportLibrary, importFactors, importLibrary, importRunFolder } from '../services/transfer';
import { choiceFlag, notFoundAsUsage, parse, parseId, requireString, UsageError } from './args';
import {
  importOptionsOf,
  lossChoices,
  matrixInputOptions,
  openFor,
  type CliIo,
  type OpenServices,
} from './common';
import { writeRunFolder } from './folders';
import { checkOutFolder, keptLibrary, RUN_LAYOUT, storedRunNote, writeOutFolder } from './out-folder';
import { classesForRunsShow } from './reading';

/** `nmf-studio import`, `library`, `datasets` and `runs`: the library from the command line. */

export async function importCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { ...matrixInputOptions, transform: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('import takes one <matrix> path');
  const options = importOptionsOf(values);
  options.transform = choiceFlag(values, 'transform', ['none', 'sqrt', 'log1p'] as const) ?? 'none';
  const services = openFor(values, open);
  try {
    const { dataset, existing, warnings } = await importDatasetFile(services.ctx, positionals[0], options, {
      onProgress:
        io.stderrIsTty || values.progress === true
          ? (p) =>
              io.stderr(
                `import: ${p.phase} ${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%\n`,
              )
          : undefined,
    });
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(
      JSON.stringify({
        dataset: dataset.id,
        rows: dataset.rows,
        cols: dataset.cols,
        nnz: dataset.nnz,
        hash: dataset.hash,
        existing,
      }) + '\n',
    );
  } finally {
    await services.close();
  }
}

/** The id after a verb (`datasets show 3`), refused by parseId when it is none. */
function idArgument(positionals: string[], what: string): number {
  if (positionals.length > 2) throw new UsageError(`${what} takes one id, got ${positionals.length - 1}`);
  return parseId(positionals[1], what, `${what.split(' ')[0]} list`);
}

export async function libraryCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { db: { type: 'string' } });
  const [verb, file] = positionals;
  if ((verb !== 'export' && verb !== 'import') || !file || positionals.length !== 2) {
    throw new UsageError(
      'library takes export FILE (a copy of the whole library) or import FILE (merge another library into this one)',
    );
  }
  const services = openFor(values, open, verb === 'export');
  try {
    const result = verb === 'export' ? exportLibrary(services.ctx, file) : importLibrary(services.ctx, file);
    io.stdout(JSON.stringify(result) + '\n');
  } catch (error) {
    if (error instanceof ServiceError && (error.code === 'conflict' || error.code === 'not_found'))
      throw new UsageError(error.message);
    throw error;
  } finally {
    await services.close();
  }
}

export async function datasetsCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { db: { type: 'string' } });
  const verb = positionals[0];
  const services = openFor(values, open, verb === 'list' || verb === 'show');
  try {
    if (verb === 'list') {
      io.stdout(JSON.stringify(listDatasetSummaries(services.ctx), null, 2) + '\n');
    } else if (verb === 'show') {
      const id = idArgument(positionals, 'datasets show');
      const detail = notFoundAsUsage(() => getDatasetDetail(services.ctx, id));
      io.stdout(JSON.stringify({ ...detail, preview: undefined }, null, 2) + '\n');
    } else if (verb === 'delete') {
      const id = idArgument(positionals, 'datasets delete');
      io.stdout(JSON.stringify(notFoundAsUsage(() => deleteDatasetById(services.ctx, id))) + '\n');
    } else {
      throw new UsageError(`datasets takes list, show <id> or delete <id>, got "${verb ?? ''}"`);
    }
  } finally {
    await services.close();
  }
}

export async function runsCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' },
    out: { type: 'string' },
    normalize: { type: 'string' },
    dataset: { type: 'string' },
    w: { type: 'string' },
    h: { type: 'string' },
    tool: { type: 'string' },
    loss: { type: 'string' },
  });
  const verb = positionals[0];
  const services = openFor(values, open, verb === 'list' || verb === 'show' || verb === 'export');
  try {
    if (verb === 'list') {
      io.stdout(
        JSON.stringify(listRunSummaries(services.ctx, { includeSweeps: true, limit: 10_000 }), null, 2) +
          '\n',
      );
    } else if (verb === 'show') {
      const id = idArgument(positionals, 'runs show');
      const run = notFoundAsUsage(() => getRunDetail(services.ctx, id));
      const classes = classesForRunsShow(services, run);
      io.stdout(
        JSON.stringify(
          { ...run, W: undefined, H: undefined, featureNames: undefined, sampleNames: undefined, classes },
          null,
          2,
        ) + '\n',
      );
    } else if (verb === 'export') {
      const id = idArgument(positionals, 'runs export');
      const out = requireString(values, 'out');
      checkOutFolder(out, RUN_LAYOUT);
      const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
      const run = notFoundAsUsage(() => getRunDetail(services.ctx, id));
      await writeOutFolder(
        out,
        RUN_LAYOUT,
        (dir) => writeRunFolder(dir, run, normalize),
        storedRunNote(keptLibrary(services.ctx.app), id),
      );
      io.stdout(JSON.stringify({ run: id, out }) + '\n');
    } else if (verb === 'delete') {
      const id = idArgument(positionals, 'runs delete');
      notFoundAsUsage(() => getRunSummary(services.ctx, id));
      io.stdout(JSON.stringify(notFoundAsUsage(() => deleteRun(services.ctx, id))) + '\n');
    } else if (verb === 'import') {
      // A folder written by `fit` or `runs export`, or W and H from another tool (--w, --h).
      if (values.dataset === undefined)
        throw new UsageError('runs import needs --dataset ID (the dataset the factors belong to)');
      const datasetId = parseId(String(values.dataset), 'runs import --dataset', 'datasets list');
      notFoundAsUsage(() => getDatasetDetail(services.ctx, datasetId));
      let run;
      if (typeof values.w === 'string' || typeof values.h === 'string') {
        const loss = parseLoss(typeof values.loss === 'string' ? values.loss : RUN_DEFAULTS.loss);
        if (!loss) throw new UsageError(`--loss must be ${lossChoices}, got "${String(values.loss)}"`);
        run = await importFactors(services.ctx, datasetId, {
          wPath: requireString(values, 'w'),
          hPath: requireString(values, 'h'),
          tool: typeof values.tool === 'string' ? values.tool : 'another tool',
          params: { loss: loss.loss, beta: loss.beta },
        });
      } else {
        if (positionals.length !== 2)
          throw new UsageError(
            'runs import takes a run folder (W.tsv, H.tsv, run.json) or --w W.tsv --h H.tsv',
          );
        run = await importRunFolder(services.ctx, datasetId, positionals[1]);
      }
      io.stdout(JSON.stringify({ run: run.id, rank: run.params.rank, loss: run.loss }) + '\n');
    } else {
      throw new UsageError(
        `runs takes list, show <id>, export <id> --out DIR, import DIR|--w W --h H --dataset ID, or delete <id>, got "${verb ?? ''}"`,
      );
    }
  } finally {
    await services.close();
  }
}
