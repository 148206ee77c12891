import type { DenseMatrix } from '../linalg/matrix';
import type { NmfKernels } from './kernels/contract';

/**
 * Public types of the NMF engine. V (m features × n samples) ≈ W (m × k) · H (k × n).
 * The engine is pure and synchronous: it knows nothing of workers, databases or windows.
 */

/** Solver. `mu`: multiplicative updates (Lee & Seung 2001; Févotte & Idier 2011 for general β).
 * `hals`: hierarchical alternating least squares / coordinate descent on the Frobenius loss
 * (Cichocki & Phan 2009; scikit-learn's `cd`). `als`: alternating NNLS, each half step solved by
 * repeated coordinate-descent sweeps (RcppML's `nmf`; see ./als.ts), Frobenius only.
 * `minibatch`: online multiplicative updates over batches of samples for any β (Serizel, Essid &
 * Richard 2016; scikit-learn's `MiniBatchNMF`; see ./minibatch.ts); `maxIter` counts passes. */
export type Solver = 'mu' | 'hals' | 'als' | 'minibatch';

/** Initialisation. NNDSVD variants after Boutsidis & Gallopoulos (2008), as scikit-learn builds them. */
export type InitMethod = 'random' | 'nndsvd' | 'nndsvda' | 'nndsvdar' | 'custom';

/** Options of one fit. Defaults (applied by `resolveFitOptions`) follow scikit-learn where it has one. */
export interface FitOptions {
  /** Number of components k, 1 ≤ k ≤ min(m, n). */
  rank: number;
  /** β of the β-divergence: 2 Frobenius (½‖V−WH‖²), 1 generalized KL, 0 Itakura–Saito. Default 1. */
  beta: number;
  /** Default: `hals` when β = 2, otherwise `mu`. HALS and ALS require β = 2. */
  solver: Solver;
  /** Default `nndsvda`. `custom` requires W0 and H0. */
  init: InitMethod;
  /** Starting W (m × k) for `init: 'custom'`; copied, never modified. */
  W0?: DenseMatrix;
  /** Starting H (k × n) for `init: 'custom'`; copied, never modified. */
  H0?: DenseMatrix;
  /** Maximum number of iterations (one W update and one H update each). Default 500. */
  maxIter: number;
  /** Relative-decrease tolerance; 0 runs exactly maxIter iterations. Default 1e-4. */
  tol: number;
  /** Seed of the one random generator (initialisation, shuffling). Default 0. */
  seed: number;
  /**
   * Penalties in scikit-learn's scaling: sklearn's `alpha_W = a, l1_ratio = r` is `l1W = a·r`,
   * `l2W = a·(1−r)`; the effective penalty on W is multiplied by n (samples), on H by m (features),
   * exactly as sklearn 1.2 does. Defaults 0.
   */
  l1W: number;
  l2W: number;
  l1H: number;
  l2H: number;
  /** HALS only: visit components in a random order each sweep (sklearn `shuffle`). Default false. */
  shuffle: boolean;
  /** Check convergence every this many iterations (sklearn checks every 10). Default 10. */
  checkEvery: number;
  /**
   * `mu` only (no effect on `hals`): this many Frobenius HALS iterations from the start before the
   * multiplicative updates take over (0: none, scikit-learn's behaviour). Counted in maxIter, and
   * at most half of it, so MU always gets the other half. Default 0.
   * Why: from random starts, MU for KL on large count data stalls in poor local minima (two
   * modules merged, one split); HALS moves whole components per step and finds the basin of the
   * planted solution in a few hundred iterations, after which MU refines in the fit's own loss.
   */
  warmup: number;
  /**
   * `mu` with a warm-up only. 0 (default): the warm-up is exactly `warmup` HALS iterations. > 0: it
   * is at least `warmup` and goes on until HALS has settled — until the Frobenius loss ½‖V − WH‖²
   * falls by less than `warmupTol` of itself over 10 iterations (tested at `warmup` + 10j) — and at most half of
   * maxIter. Why: on counts whose small modules hold a large share of the total (a module of 4
   * features among 300 with as much mass as one of 270), HALS from a random start sits on a plateau
   * for a few hundred iterations before it separates them; multiplicative updates started from that
   * plateau end in a poor local minimum (KL up to 1.7× the planted solution's), where the same start
   * with the warm-up run to the end of the plateau reaches it.
   */
  warmupTol: number;
  /**
   * `mu` only: stop this many iterations after the warm-up has ended (still at most maxIter), for
   * a screened start of a sweep's fold fit: its warm-up and then a fixed number of multiplicative
   * updates, whatever length a settling warm-up took. Default: none.
   */
  iterationsAfterWarmup?: number;
  /**
   * β = 1 only: compute the Poisson log-likelihood of the final factors (`FitResult.loglik`), one
   * more pass over V. Default true; benchmarks against tools that do not compute it turn it off.
   */
  loglik: boolean;
  /**
   * Hold one factor fixed and fit only the other (projection onto saved components; cNMF's refit of
   * H on consensus W). `'W'`: W0 (m × k) is the fixed W, H is fitted; `'H'`: H0 (k × n) is fixed, W
   * is fitted. The fixed factor is copied and never changes. The free factor starts from its own
   * W0/H0 when given, otherwise as scikit-learn 1.2 starts the free factor of
   * `non_negative_factorization(update_H=False)` (`_check_w_h`): every entry sqrt(mean(V)/k) for
   * `mu`, zeros for `hals`. The iteration is the same loop with the fixed half skipped, so the
   * convergence tests, kernels and bits are those of a full fit; `init` is reported as `custom`.
   * Default: none (both factors fitted).
   */
  fixed?: 'W' | 'H';
  /** `minibatch` only: samples per batch (scikit-learn `batch_size`). Default 128 (schedule `sklearn`: 1024), at most n. */
  batchSize?: number;
  /** `minibatch` only: weight of the past per pass, in (0, 1] (ρ = forgetFactor^(b/n) per batch). Default 0.3 (schedule `sklearn`: 0.7). */
  forgetFactor?: number;
  /** `minibatch` only: solve each batch's H from a flat start instead of one step (scikit-learn `fresh_restarts`). Default false. */
  freshRestarts?: boolean;
  /** `minibatch` only: MU steps of a fresh restart. Default 30. */
  freshRestartsMaxIter?: number;
  /** `minibatch` only: stop after this many steps without improvement of the smoothed batch cost; null: never. Default 10. */
  maxNoImprovement?: number | null;
  /**
   * `minibatch` only: `refined` (default) — several MU steps of each batch's H, `onlinePasses`
   * online passes, then up to `polishPasses` full-batch MU passes and H solved for the returned W;
   * `sklearn` — scikit-learn 1.2 `MiniBatchNMF`'s schedule step for step (one H step per batch,
   * its early stopping). See minibatch.ts.
   */
  schedule?: 'refined' | 'sklearn';
  /** `refined` only: online passes before the full-batch polish. Default 5. */
  onlinePasses?: number;
  /**
   * `refined` only: full-batch MU passes after the online ones (fewer if MU's rule stops them).
   * Default 20.
   */
  polishPasses?: number;
  /** `refined` only: MU steps of a batch's H per visit, at most. Default 3. */
  innerIter?: number;
  /** `refined` only: a batch's H steps stop once its relative change is ≤ this. Default 1e-3. */
  innerTol?: number;
  /** `refined` only: MU steps per batch of the final H solve for the returned W, at most. Default 30. */
  finalIter?: number;
}

/** The settings of the minibatch solver, all given (see FitOptions). */
export interface MinibatchSettings {
  batchSize: number;
  forgetFactor: number;
  freshRestarts: boolean;
  freshRestartsMaxIter: number;
  maxNoImprovement: number | null;
  schedule: 'refined' | 'sklearn';
  onlinePasses: number;
  polishPasses: number;
  innerIter: number;
  innerTol: number;
  finalIter: number;
}

/** What a caller may pass: rank plus any subset of the rest. */
export type FitOptionsInput = Partial<FitOptions> & { rank: number };

/** Progress reported from inside the iteration loop. */
export interface FitProgress {
  iteration: number;
  maxIter: number;
  /** β-divergence at this iteration (only updated on convergence checks; NaN before the first). */
  loss: number;
  elapsedMs: number;
}

/**
 * Hooks the iteration loop calls; the caller decides what they mean (a worker posts a message,
 * a test counts calls). Shaped after VS Code's IProgress / CancellationToken.
 */
export interface FitHooks {
  onProgress?: (progress: FitProgress) => void;
  /** Read at least once per iteration; true makes the fit throw `FitCancelledError`. */
  isCancelled?: () => boolean;
  /**
   * The kernels the fit computes with, built by `selectKernels` (./kernels/select.ts) from the
   * backend, the threads and what is loaded; default `selectKernels()`, one thread. Every set
   * gives the same bits (./kernels/contract.ts).
   */
  kernels?: NmfKernels;
}

/** Result of one fit. W: m × k, H: k × n, as fitted (not rescaled). */
export interface FitResult {
  W: DenseMatrix;
  H: DenseMatrix;
  /** Iterations done. */
  iterations: number;
  /** True when the relative decrease fell below tol before maxIter. */
  converged: boolean;
  /** Final β-divergence D(V ‖ WH), scikit-learn's definition, over the observed (non-NaN) entries. */
  loss: number;
  /** Poisson log-likelihood Σ V log(WH) − WH − log V! over observed entries, for β = 1; otherwise null. */
  loglik: number | null;
  /** [iteration, loss] pairs, one per convergence check (iteration 0 is the start). */
  trace: Array<[number, number]>;
  /**
   * Seconds from the fit's start (before its initialization) to each point of `trace`, same length:
   * when the fit reached that loss. Absent from results made before it was recorded.
   */
  traceSeconds?: number[];
  seconds: number;
  /** The options actually used (defaults filled in). W0/H0 omitted. */
  options: Omit<FitOptions, 'W0' | 'H0'>;
  /** Human-readable warnings, e.g. "maxIter (500) reached before convergence (tol 1e-4)". */
  warnings: string[];
  /**
   * HALS iterations the warm-up ran (`mu` with a warm-up; absent otherwise): `warmup` when fixed,
   * where HALS settled when `warmupTol` > 0.
   */
  warmupIterations?: number;
}

/** Thrown by a fit whose `isCancelled` hook returned true. */
export class FitCancelledError extends Error {
  constructor(public readonly iteration: number) {
    super(`fit cancelled at iteration ${iteration}`);
    this.name = 'FitCancelledError';
  }
}

/** Thrown for settings that cannot work (rank too large, β ≤ 0 with zeros in V, negative data…). */
export class FitSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitSettingsError';
  }
}
