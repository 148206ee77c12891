/**
 * The window's matrix reduction for drawing: shared/analysis/downsample.ts, where the main process
 * uses the same function.
 */
import { blockEdges, finiteRange } from '../../../shared/analysis/run-views';

// The same blocks as the main process's summaries of a large H (shared/analysis/run-views.ts).
export { blockEdges };
export {
  downsample,
  FIGURE_MAX_CELLS,
  type Downsampled,
  type Window,
} from '../../../shared/analysis/downsample';

/** Finite minimum and maximum of an array (0, 0 when nothing is finite): the shared {@link finiteRange}. */
export const range = finiteRange;
