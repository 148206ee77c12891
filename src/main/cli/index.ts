import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError } from '../../shared/api';
import { ENGINE_VERSION, MU_WARMUP, MU_WARMUP_TOL } from '../../shared/domain';
import { FitSettingsError } from '../../shared/nmf/types';
import { startBrowserServer } from '../server/http';
import { createServices, TEMPORARY_LIBRARY } from '../services';
import { removedOnSignal } from './temporary-library';
import { APP_VERSION } from '../services/version';
import { defaultLibraryPath } from '../paths';
import { escapeText } from '../io/errors';
import { UsageError, numberFlag, parse } from './args';
import { terminalSafe } from './terminal';
import {
  alignCommand,
  assignCommand,
  datasetsCommand,
  fitCommand,
  importCommand,
  libraryCommand,
  runsCommand,
  sweepCommand,
  synthCommand,
  type CliIo,
  type OpenServices,
} from './commands';
import { consensusCommand, projectCommand } from './consensus-commands';
import { sweepMergeCommand, sweepTaskCommand } from './cluster-commands';
import { annotateCommand, enrichCommand, markersCommand } from './reading';
import { synthCellsCommand } from './synth-cells';

/**
 * `nmf-studio`: the desktop app's services without a window (CLI.md). Exit status 0 on success,
 * 2 for bad arguments or bad input (one line on stderr naming the problem and where it is), 1 for
 * anything else.
 */

const here = dirname(fileURLToPath(import.meta.url));
/** Built: out/main/cli.js beside out/main/nmf.worker.js. From source (tsx): src/main/cli/index.ts. */
const fromSource = import.meta.url.endsWith('.ts');
const workerPath = fromSource ? join(here, '..', 'workers', 'nmf.worker.ts') : join(here, 'nmf.worker.js');
const rendererDir = fromSource
  ? join(here, '..', '..', '..', 'out', 'renderer')
  : join(here, '..', 'renderer');

const USAGE = `nmf-studio ${APP_VERSION} — non-negative matrix factorization

  nmf-studio fit <matrix|dataset-id> --rank K [--loss kl|frobenius|is|beta=<b>] [--solver mu|hals|als|minibatch]
        [--init random|nndsvd|nndsvda|nndsvdar] [--init-w W0.tsv --init-h H0.tsv] [--max-iter N] [--tol T]
        [--seed S] [--l1-w a] [--l2-w a] [--l1-h a] [--l2-h a] [--warmup N] [--warmup-tol T] [--replicates R]
        [--threads T] [--normalize l1|l2] [--db FILE] [--no-save] --out DIR
        (--warmup N: at least N HALS iterations before multiplicative updates, within --max-iter; default
         ${MU_WARMUP}, 0 for plain MU. --warmup-tol T: the warm-up goes on until HALS's loss falls by less
         than T of itself over 10 iterations, at most half of --max-iter; default ${MU_WARMUP_TOL}, 0 for
         exactly N. --replicates R: R fits, the first from --init, the others from random starts
         with seeds S+1, S+2, …; the lowest loss is kept. --solver minibatch [--batch-size B]: online
         multiplicative updates over batches of B samples (default 1024), as scikit-learn's MiniBatchNMF;
         --max-iter then counts passes over the data. A dataset id fits that dataset of the library
         (nmf-studio import … --db FILE) where it is stored; not with --no-save)
  nmf-studio sweep <matrix> --ranks 2..8 [--replicates N] [--cv-folds F] [--cv-holdout H]
        [--cv-screen-after-warmup N] [--consensus-replicates C] [--sample-folds F]
        [--memory-budget SIZE] [fit options] --out DIR
        (--cv-holdout H: each fold holds out this fraction of the entries, at most 1/F, instead of
         every entry being in one fold; 0.1 keeps small programs from being held out whole;
         --cv-screen-after-warmup N: each fold fit's screened starts run N multiplicative updates
         after their warm-up, 0 to compare them where the warm-up ends (default: 150, at least --warmup);
         --sample-folds F: also F-fold sample-wise cross-validation, W fitted without the held-out
         samples, which are projected on half the features and scored on the other half)
  nmf-studio sweep <matrix|dataset-id> --ranks 2..8 [sweep options] --plan slurm [--tasks N] [--submit]
        [--slurm-partition P] [--slurm-time T] [--slurm-mem M] [--slurm-cpus C] --out DIR
                                                          (a job folder for a SLURM cluster)
  nmf-studio sweep-task DIR --task I [--threads T]        (one array task of a job folder)
  nmf-studio sweep-merge DIR [--db FILE] [--no-save] [--out OUT]
  nmf-studio synth --features N --samples M --rank R [--moonlighting F] [--depth D] [--seed S] --out DIR
  nmf-studio synth --cells N [--features M] --rank R [--moonlighting F] [--depth D] [--concentration A]
        [--seed S] [--format h5ad|mtx] [--progress] --out DIR
                                      (planted modules in sparse counts, streamed: DIR/cells.h5ad or
                                       DIR/matrix.mtx + features.tsv + barcodes.tsv, and truth.json)
        (--depth D: expected total count per sample; default 1000 × features)
  nmf-studio assign <run-dir|run-id> [--threshold t]
  nmf-studio align <run-dir|run-id> <run-dir|run-id> [--metric cosine|pearson]
  nmf-studio import <matrix> [--name NAME] [--transpose] [--format F] [--transform none|sqrt|log1p] [--db FILE]
  nmf-studio datasets list|show <id>|delete <id> [--db FILE]
  nmf-studio runs list|show <id>|export <id> --out DIR|delete <id> [--db FILE]
  nmf-studio runs import DIR --dataset ID                  (a folder written by fit or runs export)
  nmf-studio runs import --dataset ID --w W.tsv --h H.tsv [--tool NAME] [--loss L]
                                                          (factors from scikit-learn, R or cNMF)
  nmf-studio library export FILE | import FILE [--db FILE]
  nmf-studio serve [--host 127.0.0.1] [--port N] [--db FILE]
  nmf-studio project <run-dir|run-id> <matrix> [--out DIR] [--min-match F] [--memory-budget SIZE] [--db FILE]
                                                          (new samples onto a run's components, W held)
  nmf-studio consensus <matrix|dataset-id> --rank K | --ranks A..B [--replicates R]
        [--density-threshold t] [--neighbours n] [--memory-budget SIZE] [fit options] [--db FILE] --out DIR
                                                          (cNMF)
  nmf-studio consensus <matrix|dataset-id> … --plan slurm [--tasks N] [--submit] [--slurm-* …] --out DIR
                                                          (a consensus job folder; sweep-task, sweep-merge run it)
  nmf-studio annotate <dataset-id> --samples FILE | --features FILE [--db FILE]
                                                          (a TSV/CSV keyed by sample or feature name)
  nmf-studio markers <run-dir|run-id> [--top N] [--method kim-park|zscore] [--db FILE]
  nmf-studio enrich <run-dir|run-id> --gmt FILE [--top N] [--method kim-park|zscore] [--db FILE]
  nmf-studio --version

Matrix input: .tsv .csv .txt (optionally .gz), .mtx, .npy, .h5ad, 10x .h5; --format, --transpose,
--no-header, --no-row-names. Progress goes to stderr when it is a terminal or with --progress.
Library: ${defaultLibraryPath()} (override with --db or NMF_STUDIO_DB).
`;

const openServices: OpenServices = ({ libraryPath, noSave, inMemory, threads, readOnly }) =>
  // --no-save: a library of the command's own on disk, removed when it ends (temporary-library.ts).
  removedOnSignal(
    createServices({
      libraryPath: inMemory ? ':memory:' : noSave ? TEMPORARY_LIBRARY : (libraryPath ?? defaultLibraryPath()),
      workerPath,
      mode: 'cli',
      threads,
      readOnly: readOnly === true && !inMemory && !noSave,
    }),
  );

async function serveCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    db: { type: 'string' },
    threads: { type: 'string' },
  });
  if (positionals.length)
    throw new UsageError(`serve takes no positional arguments, got "${positionals[0]}"`);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(
      `the app is not built (${join(rendererDir, 'index.html')} is missing): run npm run build`,
    );
  }
  const port = numberFlag(values, 'port', { integer: true, min: 0, max: 65535 }) ?? 0;
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host))
    throw new UsageError(`--host must be a loopback address (127.0.0.1, ::1 or localhost), got "${host}"`);
  const services = createServices({
    libraryPath: typeof values.db === 'string' ? values.db : defaultLibraryPath(),
    workerPath,
    mode: 'browser',
    threads: numberFlag(values, 'threads', { integer: true, min: 1, max: 256 }),
  });
  // One worker ready before the first fit (the others start with the jobs that need them).
  services.ctx.pool.warm(1);
  const server = await startBrowserServer({
    handlers: services.handlers,
    events: services.ctx.events,
    rendererDir,
    host,
    port,
    stagingDir: services.ctx.app.tempDir,
  });
  io.stdout(`NMF Studio is running at ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await services.close();
}

export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  // Nothing from a file reaches the terminal raw (see terminal.ts).
  const io: CliIo = {
    ...rawIo,
    stdout: (text) => rawIo.stdout(terminalSafe(text)),
    stderr: (text) => rawIo.stderr(terminalSafe(text)),
  };
  try {
    switch (command) {
      case 'fit':
        await fitCommand(rest, io, openServices);
        break;
      case 'sweep':
        await sweepCommand(rest, io, openServices);
        break;
      case 'sweep-task':
        await sweepTaskCommand(rest, io, openServices);
        break;
      case 'sweep-merge':
        await sweepMergeCommand(rest, io, openServices);
        break;
      case 'synth':
        // `--cells`: large sparse sets streamed to .h5ad / .mtx (synth-cells.ts).
        if (rest.some((a) => a === '--cells' || a.startsWith('--cells='))) await synthCellsCommand(rest, io);
        else await synthCommand(rest);
        break;
      case 'assign':
        await assignCommand(rest, io, openServices);
        break;
      case 'align':
        await alignCommand(rest, io, openServices);
        break;
      case 'import':
        await importCommand(rest, io, openServices);
        break;
      case 'datasets':
        await datasetsCommand(rest, io, openServices);
        break;
      case 'runs':
        await runsCommand(rest, io, openServices);
        break;
      case 'library':
        await libraryCommand(rest, io, openServices);
        break;
      case 'serve':
        await serveCommand(rest, io);
        break;
      case 'project':
        await projectCommand(rest, io, openServices);
        break;
      case 'consensus':
        await consensusCommand(rest, io, openServices);
        break;
      case 'annotate':
        await annotateCommand(rest, io, openServices);
        break;
      case 'markers':
        await markersCommand(rest, io, openServices);
        break;
      case 'enrich':
        await enrichCommand(rest, io, openServices);
        break;
      case '--version':
      case 'version':
        io.stdout(
          `nmf-studio ${APP_VERSION} (engine ${ENGINE_VERSION}, node ${process.versions.node})\nlibrary: ${defaultLibraryPath()}\n`,
        );
        break;
      case undefined:
      case '--help':
      case 'help':
        io.stdout(USAGE);
        break;
      default:
        throw new UsageError(`unknown command "${command}" (nmf-studio --help lists them)`);
    }
    return 0;
  } catch (error) {
    const badInput =
      error instanceof UsageError ||
      // --db names a file that is not an NMF Studio library this version can open (left untouched).
      (error instanceof Error &&
        (error.name === 'ForeignDatabaseError' || error.name === 'NewerDatabaseError')) ||
      error instanceof FitSettingsError ||
      // A file a command reads besides its matrix (--init-w, a run folder's W.tsv) refused by its reader.
      (error instanceof Error && error.name === 'ImportError') ||
      // A folder the system refuses to create (`--db /proc/x/library.sqlite`, make-folder.ts).
      (error instanceof Error && error.name === 'FolderError') ||
      (error instanceof ServiceError &&
        (error.code === 'bad_input' || error.code === 'invalid_request' || error.code === 'not_found'));
    const message = error instanceof Error ? error.message : String(error);
    // One line, whatever the message holds: control characters and terminal escapes are escaped.
    io.stderr(`nmf-studio: ${escapeText(message)}\n`);
    if (error instanceof ServiceError && error.problems !== undefined)
      io.stderr(problemLines(error.problems));
    return badInput ? 2 : 1;
  }
}

/**
 * The problems of a refused input, one indented line each (escaped like the message), then
 * `and N more` when the list was cut.
 */
function problemLines(problems: { list: { message: string }[]; count: number }): string {
  const lines = problems.list.map((problem) => `  ${escapeText(problem.message)}\n`);
  const more = problems.count - problems.list.length;
  if (more > 0) lines.push(`  and ${more} more\n`);
  return lines.join('');
}

const isEntry = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry || process.env.NMF_STUDIO_CLI === '1') {
  void main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
  }).then((code) => {
    process.exitCode = code;
  });
}
