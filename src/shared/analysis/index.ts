/**
 * Analysis of factorisations: synthetic planted data, consensus clustering, component alignment,
 * module assignment, PCA and the building blocks of a rank sweep. Pure: no Node, no DOM.
 */
export * from './types';
export { synthesizeGeneModules, type GeneModulesOptions } from './synthetic';
export { averageLinkage, condensedIndex, copheneticDistances, cutTree, type Linkage } from './hclust';
export { analyzeConsensus, consensusMatrix, dispersion, pearson, sampleLabels } from './consensus';
export {
  alignComponents,
  componentSimilarity,
  componentStability,
  matchComponents,
  normalizeColumns,
  splitMergeMap,
} from './alignment';
export { adjustedRandIndex } from './rand';
export {
  assignModules,
  membershipThreshold,
  rowNormalize,
  scoreAssignment,
  weightHistogram,
  type AssignOptions,
  type ThresholdOptions,
} from './assignment';
export { pca, type PcaOptions } from './pca';
export { heldOutError, makeCvFolds, maskFold, shuffleWithinRows } from './crossval';
export { planSweep, runSweepJob, summarizeSweep, toRanksJson } from './sweep';
export { recommendRank, type RecommendOptions } from './recommend';
export {
  hardCase,
  hardCaseKinds,
  type HardCase,
  type HardCaseKind,
  type HardCaseOptions,
} from './synthetic-cases';
export { isIntegerData, pearsonDispersion } from './count-model';
export { heldOutTrimmedError, HELD_OUT_TRIM } from './crossval';
export { pairwiseStability } from './stability';
export { DEFAULT_CONSENSUS_REPLICATES } from './sweep';
