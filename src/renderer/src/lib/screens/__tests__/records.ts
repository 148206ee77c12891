import type { DatasetSummary, RunSummary, SweepSummary } from '../../../../../shared/domain';
import { RUN_FIT_DEFAULTS } from '../../../../../shared/domain/defaults';

/** Records as the API returns them, for screen tests; fields not given take plain values. */
export function dataset(over: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id: 1,
    name: 'counts',
    rows: 100,
    cols: 20,
    nnz: 1500,
    missing: 0,
    layout: 'dense',
    hash: 'h',
    format: 'tsv',
    sourceName: 'counts.tsv',
    transform: 'none',
    transposed: false,
    integer: true,
    minValue: 0,
    maxValue: 50,
    hasTruth: false,
    sizeBytes: 16_000,
    createdAt: '2026-01-02T03:04:05Z',
    ...over,
  } as DatasetSummary;
}

export function run(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 1,
    datasetId: 1,
    datasetName: 'counts',
    sweepId: null,
    state: 'done',
    params: {
      rank: 3,
      loss: 'kl',
      beta: 1,
      solver: 'mu',
      init: RUN_FIT_DEFAULTS.init,
      maxIter: 500,
      tol: 1e-4,
      seed: 0,
      l1W: 0,
      l2W: 0,
      l1H: 0,
      l2H: 0,
      shuffle: false,
      warmup: 30,
      replicates: 1,
    },
    iterations: 100,
    converged: true,
    loss: 12.5,
    loglik: null,
    seconds: 1.5,
    error: null,
    notes: '',
    tags: [],
    createdAt: '2026-01-02T03:04:05Z',
    startedAt: null,
    finishedAt: null,
    name: null,
    componentNames: null,
    ...over,
  } as RunSummary;
}

export function sweep(over: Partial<SweepSummary> = {}): SweepSummary {
  return {
    id: 1,
    datasetId: 1,
    datasetName: 'counts',
    state: 'done',
    params: { fromRank: 2, toRank: 6 },
    jobsDone: 10,
    jobsTotal: 10,
    recommended: 4,
    criterion: 'cophenetic',
    error: null,
    createdAt: '2026-01-02T03:04:05Z',
    finishedAt: null,
    ...over,
  } as SweepSummary;
}
