import type { DatasetSummary } from '../../../shared/domain';
import { suggestedRunParams } from './defaults';
import type { FitForm } from './fitform';

/** The shared fit fields of the suggested parameters for a dataset. */
export function fitFormFor(dataset: DatasetSummary): FitForm {
  const p = suggestedRunParams(dataset);
  return {
    loss: p.loss,
    beta: p.beta,
    solver: p.solver,
    init: p.init,
    maxIter: p.maxIter,
    tol: p.tol,
    seed: p.seed,
    l1W: p.l1W,
    l2W: p.l2W,
    l1H: p.l1H,
    l2H: p.l2H,
    shuffle: p.shuffle,
    warmup: p.warmup,
    warmupTol: p.warmupTol,
  };
}
