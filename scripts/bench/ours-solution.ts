/**
 * One time-to-solution fit of this project's engine, in its own process. Prints one JSON line.
 *
 *   node --import tsx scripts/bench/ours-solution.ts --dir DIR --set NAME --rank K --beta B \
 *       --solver mu|hals [--init nndsvda] [--tol 1e-4] [--max-iter 200] [--threads T]
 *       [--target-loss L] [--cold]
 *
 * Unlike ours.ts (a fixed number of iterations from a given start), the fit runs as a user's does:
 * from its own start (`--init`, NNDSVDa by default, as scikit-learn 1.2's) to its stopping rule
 * (`--tol`, `--max-iter`: the same rule as scikit-learn's, tested every 10 iterations for MU and
 * on the projected gradient for HALS). The timed span is the whole `fitNmf` call: the data scan,
 * the start (randomized SVD), the iterations, the losses and, for KL, the Poisson log-likelihood
 * the engine reports by default.
 *
 * `--target-loss L` times the fit to equal loss instead: a first, untimed run with the loss
 * evaluated after every iteration finds the first iteration N at which the loss is ≤ L; the timed
 * run is then exactly N iterations from the same start (tol 0), its loss evaluated at the end only.
 * If L is not reached within `--max-iter`, the output says so (`reached: false`).
 *
 * The process is warmed first with a short fit of the same shape, as a worker of the app's pool
 * is after its first job (its modules loaded and its hot functions compiled); `--cold` skips that,
 * which shows the first fit of a fresh process. `--threads T`: the native kernels split large
 * calls over T threads (dense data), as a single fit in the app does on an idle pool.
 */
import { fitNmf, FitCancelledError, type FitOptionsInput, type InitMethod } from '../../src/shared/nmf';
import { installNativeKernels } from '../../src/main/native';
import { selectKernels } from '../../src/shared/nmf/kernels';
import { benchArgs, benchFitCase } from './args';
import { readSet } from './data';

const { get, has } = benchArgs();

const { dir, set, k, beta, solver } = benchFitCase(get);
const init = get('--init', 'nndsvda') as Exclude<InitMethod, 'custom'>;
const tol = Number(get('--tol', '1e-4'));
const maxIter = Number(get('--max-iter', '200'));
const threads = Number(get('--threads', '1'));
const targetArg = has('--target-loss') ? Number(get('--target-loss')) : null;
installNativeKernels();
/** Each fit's kernel set: the native kernels (where built) on `threads` threads. */
const kernelsOf = (): ReturnType<typeof selectKernels> => selectKernels({ threads });

const { V } = readSet(dir, set);
const base: FitOptionsInput = { rank: k, beta, solver, init, seed: 0 };

if (!has('--cold')) fitNmf(V, { ...base, maxIter: 5, tol: 0 }, { kernels: kernelsOf() });

/** The first iteration at which the loss is ≤ target (loss after every iteration), or null. */
function iterationsTo(target: number): { iterations: number | null; best: number } {
  let found: number | null = null;
  let best = Infinity;
  try {
    fitNmf(
      V,
      { ...base, maxIter, tol: 0, checkEvery: 1 },
      {
        onProgress: ({ iteration, loss }) => {
          best = Math.min(best, loss);
          if (found === null && loss <= target) found = iteration;
        },
        isCancelled: () => found !== null,
        kernels: kernelsOf(),
      },
    );
  } catch (error) {
    if (!(error instanceof FitCancelledError)) throw error;
  }
  return { iterations: found, best };
}

let options: FitOptionsInput = { ...base, maxIter, tol };
let reached: boolean | null = null;
let bestLoss: number | null = null;
if (targetArg !== null) {
  const { iterations, best } = iterationsTo(targetArg);
  reached = iterations !== null;
  bestLoss = best;
  if (iterations !== null) options = { ...base, maxIter: iterations, tol: 0, checkEvery: iterations };
}

const kernels = kernelsOf();
const started = performance.now();
const fit = reached === false ? null : fitNmf(V, options, { kernels });
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    tool: 'ours',
    backend: kernels.backend,
    solver,
    init,
    iterations: fit?.iterations ?? null,
    converged: fit?.converged ?? null,
    seconds: fit === null ? null : seconds,
    finalLoss: fit?.loss ?? bestLoss,
    reached,
    threads: kernels.threadsUsed(),
  }),
);
