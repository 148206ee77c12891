/**
 * Analysis of factorisations: synthetic planted data, consensus clustering, component alignment,
 * module assignment, PCA and the building blocks of a rank sweep. Pure: no Node, no DOM.
 */
export * from './types';
export { synthesizeGeneModules, type GeneModulesOptions } from './synthetic';
export { averageLinkage, condensedIndex, copheneticDistances, cutTree, type Linkage } from './hclust';
export {
  analyzeConsensus,
  clusterConsensus,
  consensusMatrix,
  consensusSubsample,
  dispersion,
  pearson,
  sampleLabels,
  type SubsampleConsensus,
} from './consensus';
export {
  averageSilhouette,
  consensusSilhouette,
  correlationSilhouette,
  fitSurvey,
  residualSums,
  sparseness,
} from './survey';
export {
  alignComponents,
  componentSimilarity,
  componentStability,
  matchComponents,
  normalizeColumns,
} from './alignment';
export { splitMergeMap, type SplitMergeOptions } from './splitmerge';
export { adjustedRandIndex } from './rand';
export {
  assignModules,
  columnScales,
  membershipThreshold,
  membershipWeights,
  removeModuleBackground,
  rowNormalize,
  scoreAssignment,
  weightHistogram,
  type AssignOptions,
  type ThresholdOptions,
} from './assignment';
// PCA (and ml-matrix, which only it uses) is imported from './pca' where it runs, not from here:
// everything that imports this index would load ml-matrix at start-up.
export type { PcaOptions } from './pca';
export { heldOutError, makeCvFolds, maskFold, shuffleWithinRows } from './crossval';
export {
  planSweep,
  replicateStatistics,
  runSweepJob,
  summarizeSweep,
  surveyCriteria,
  surveyJson,
  toRanksJson,
} from './sweep';
export { finishedRanks, summarizeFinishedRank } from './sweep';
export { recommendRank, type RecommendOptions } from './recommend';
export {
  CNMF_DENSITY_THRESHOLD,
  CNMF_KMEANS_SEED,
  CNMF_NEIGHBOURHOOD,
  consensusComponents,
  consensusError,
  defaultNeighbours,
  kMeans,
  localDensity,
  poolColumns,
  silhouette,
  type ConsensusComponents,
  type ConsensusComponentsOptions,
  type KMeansResult,
  type PooledColumns,
} from './cnmf';
export {
  ProjectionError,
  heldOutSampleError,
  matchFeatures,
  nameList,
  projectSamples,
  selectColumns,
  selectDataRows,
  selectRows,
  type FeatureMatch,
  type HeldOutSampleError,
} from './projection';
export {
  parseAnnotationTable,
  annotationColumn,
  categoryCodes,
  columnsAt,
  AnnotationError,
  type AnnotationAxis,
  type AnnotationColumn,
  type CategoricalAnnotation,
  type NumericAnnotation,
} from './annotations';
export { classAgreement, type ClassAgreement } from './classes';
export {
  kimParkScores,
  kimParkSelection,
  rankMarkers,
  topLoadings,
  zscoreSpectra,
  type MarkerMethod,
  type MarkerTable,
} from './markers';
export {
  benjaminiHochberg,
  enrichMarkers,
  hypergeometricUpperTail,
  parseGmt,
  GmtError,
  type GeneSet,
} from './enrichment';
export { consensusMap, consensusMapOfShown, leafOrder, type ConsensusMap } from './consensusmap';
export {
  hardCase,
  hardCaseKinds,
  type HardCase,
  type HardCaseKind,
  type HardCaseOptions,
} from './synthetic-cases';
export { isIntegerData, pearsonDispersion } from './count-model';
export { heldOutTrimmedError, HELD_OUT_TRIM } from './crossval';
export {
  CV_FULL_MAX_ENTRIES,
  NEVER_HELD_OUT,
  cvFoldsFor,
  cvHeldOutEntries,
  makeSampledCvFolds,
  type AnyCvFolds,
} from './crossval';
export { pairwiseStability } from './stability';
export { DEFAULT_CONSENSUS_REPLICATES } from './sweep';
