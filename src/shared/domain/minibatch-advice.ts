import { MINIBATCH_DEFAULTS } from '../nmf/defaults';

/**
 * When the run form suggests the minibatch solver (online MU, scikit-learn's `MiniBatchNMF`), and
 * what it says about it. Pure, so the estimate (main process) and its tests share it.
 *
 * Rule: a fit by full-batch multiplicative updates (`mu`, any β) on data with at least
 * MINIBATCH_MIN_SAMPLES samples whose estimate exceeds MINIBATCH_MIN_SECONDS. Full-batch MU
 * updates W once per pass over all samples; the online solver updates it after every batch of
 * 1024 samples (⌈n/1024⌉ ≥ 49 times a pass here), so on many samples it gets its early progress
 * from far fewer passes. Below those sizes full-batch MU (with its HALS warm-up) is fast enough
 * and reaches a lower loss, so nothing is suggested.
 */
export const MINIBATCH_MIN_SAMPLES = 50_000;
export const MINIBATCH_MIN_SECONDS = 60;

/** A suggestion shown with the estimate: the settings to apply and why. */
export interface SolverSuggestion {
  solver: 'minibatch';
  batchSize: number;
  reason: string;
}

/**
 * The suggestion for a run, or null.
 * @param samples n, the columns of V
 * @param solver the run's solver
 * @param fullBatchSeconds the estimate of the run as asked
 */
export function minibatchSuggestion(
  samples: number,
  solver: string,
  fullBatchSeconds: number,
): SolverSuggestion | null {
  if (solver !== 'mu' || samples < MINIBATCH_MIN_SAMPLES || fullBatchSeconds < MINIBATCH_MIN_SECONDS)
    return null;
  const batchSize = MINIBATCH_DEFAULTS.batchSize;
  const batches = Math.ceil(samples / batchSize);
  return {
    solver: 'minibatch',
    batchSize,
    reason:
      `${samples.toLocaleString('en-US')} samples: full-batch MU updates W once per pass over all of them; ` +
      `minibatch MU updates it after every ${batchSize} samples, ${batches} times a pass, then ends with a ` +
      `few full-batch passes, reaching MU's loss (within 1 % on planted counts) in fewer passes than MU needs iterations. ` +
      `Max iterations then counts passes.`,
  };
}
