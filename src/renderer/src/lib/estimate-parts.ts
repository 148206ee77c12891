import type { SweepEstimatePart } from '../../../shared/domain';
import { formatDuration } from './format';

/** What each group of a sweep's fits is called in the forecast, and what it is evidence for. */
const PART_NAMES: Record<SweepEstimatePart['what'], string> = {
  replicates: 'replicates (best fit, loss, BIC)',
  folds: 'CV folds (held-out error)',
  'sample-folds': 'sample folds (held-out samples)',
  consensus: 'consensus fits (cophenetic, stability)',
  baseline: 'shuffled baseline',
};

/**
 * One group as the New sweep form lists it, e.g. "consensus fits (cophenetic, stability): about
 * 40 s, up to 4 min 10 s, 180 fits" (the expected time where earlier sweeps give one).
 */
export interface EstimatePartLine {
  what: SweepEstimatePart['what'];
  text: string;
}

/**
 * A sweep forecast's parts as lines for the form: each group's name, its expected time where
 * earlier sweeps give one, its bound and its fits, in the plan's order. The bounds price every fit
 * at its iteration budget, and no shares of them are given: fits stop at different points of their
 * budgets by kind (on Golub's sweep the budgets give the fold fits 11 % and the consensus fits
 * 45 %, where they took 21 % and 24 % of the CPU), so a share of the bound would misstate what each
 * group costs. Empty without parts.
 */
export function estimatePartLines(parts: readonly SweepEstimatePart[] | undefined): EstimatePartLine[] {
  if (!parts) return [];
  return parts.map((part) => ({
    what: part.what,
    text: `${PART_NAMES[part.what]}: ${part.expectedSeconds !== undefined ? `about ${formatDuration(part.expectedSeconds * 1000)}, ` : ''}up to ${formatDuration(part.seconds * 1000)}, ${part.fits} fit${part.fits === 1 ? '' : 's'}`,
  }));
}
