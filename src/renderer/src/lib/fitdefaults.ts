import type { DatasetSummary } from '../../../shared/domain';
import { suggestedRunParams } from './defaults';
import { fitFormOf, type FitForm } from './fitform';

/** The shared fit fields of the suggested parameters for a dataset. */
export function fitFormFor(dataset: DatasetSummary): FitForm {
  return fitFormOf(suggestedRunParams(dataset));
}
