import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEstimate } from '../../../../../shared/domain';
import { SWEEP_FIT_DEFAULTS } from '../../../../../shared/domain/defaults';
import { FitFormModel } from '../fit-form.svelte';
import {
  consensusPlan,
  runPlan,
  sweepAgainOf,
  sweepFormOf,
  sweepParams,
  sweepPlan,
  sweepPreset,
} from '../fit-form-plans';
import { sweepParamsSchema } from '../../../../../shared/domain/params';
import {
  clusterProblem,
  consensusReplicatesProblem,
  cvFoldsProblem,
  densityThresholdProblem,
  problemsOf,
  rankProblem,
  rankRangeProblem,
  replicatesProblem,
  solverForLoss,
} from '../form-rules';
import { ClusterJob, sweepClusterTarget } from '../cluster-job.svelte';
import { failed, fakePorts, ok } from './fake-ports';
import { fakeTransfers } from './fake-transfers';
import { dataset, run, sweep } from './records';

const estimate: RunEstimate = { seconds: 12, peakBytes: 1e6, basis: 'measured' } as RunEstimate;
// 100 × 20 integer counts with zeros; a 6 × 4 continuous table of narrow range (0.1–5).
const counts = dataset({ id: 1, name: 'counts' });
const small = dataset({ id: 2, name: 'small', rows: 6, cols: 4, integer: false, minValue: 0.1, maxValue: 5 });

function ports() {
  return fakePorts({
    'datasets:list': () => ok([counts, small]),
    'runs:estimate': () => ok(estimate),
    'sweeps:estimate': () => ok(estimate),
    'runs:start': () => ok(run({ id: 12 })),
    'sweeps:start': () => ok(sweep({ id: 3 })),
  });
}

describe('form rules', () => {
  it('bound a rank by the smaller dimension', () => {
    expect(rankProblem(3, small)).toBeNull();
    expect(rankProblem(4, small)).toBeNull();
    expect(rankProblem(5, small)).toBe('At most 4 (the smaller dimension).');
    expect(rankProblem(0, small)).toBe('A whole number of at least 1.');
    expect(rankProblem(2.5, null)).toBe('A whole number of at least 1.');
    expect(rankProblem(500, null)).toBeNull();
  });

  it('check a rank range: whole, ordered, within the data', () => {
    expect(rankRangeProblem(2, 4, small)).toBeNull();
    expect(rankRangeProblem(3, 3, small)).toBeNull();
    expect(rankRangeProblem(4, 3, small)).toBe('The first rank must not exceed the last.');
    expect(rankRangeProblem(2, 5, small)).toBe('At most 4 (the smaller dimension).');
    expect(rankRangeProblem(0, 3, small)).toBe('Whole numbers of at least 1.');
    expect(rankRangeProblem(2, Number.NaN, small)).toBe('Whole numbers of at least 1.');
  });

  it('refuse one cross-validation fold (nothing left to train on), and more than 20', () => {
    expect([0, 2, 20].map(cvFoldsProblem)).toEqual([null, null, null]);
    for (const folds of [1, -1, 21, 2.5])
      expect(cvFoldsProblem(folds), String(folds)).toBe('0 (none) or 2 to 20 folds.');
  });

  it('ask a consensus for 2 to 1000 replicates and a positive density threshold', () => {
    expect(consensusReplicatesProblem(2)).toBeNull();
    expect(consensusReplicatesProblem(1)).toBe('From 2 to 1000.');
    expect(consensusReplicatesProblem(1001)).toBe('From 2 to 1000.');
    expect(densityThresholdProblem(0.5)).toBeNull();
    expect(densityThresholdProblem(2)).toBeNull();
    expect(densityThresholdProblem(0)).toBe('A number above 0 (2 keeps every component).');
    expect(densityThresholdProblem(Number.NaN)).toBe('A number above 0 (2 keeps every component).');
    expect(densityThresholdProblem(11)).toBe('A number above 0 (2 keeps every component).');
    expect(replicatesProblem(1)).toBeNull();
    expect(replicatesProblem(0)).toBe('A whole number of at least 1.');
  });

  it('check SLURM options in the order of the fields', () => {
    const fine = { tasks: 8, cpus: 1, partition: '', time: '', memMiB: null };
    expect(clusterProblem(fine)).toBeNull();
    expect(clusterProblem({ ...fine, partition: 'short,long' })).toBeNull();
    expect(clusterProblem({ ...fine, tasks: 0, cpus: 0 })).toBe('Tasks: a whole number from 1 to 10000.');
    expect(clusterProblem({ ...fine, cpus: 257 })).toBe('CPUs per task: a whole number from 1 to 256.');
    expect(clusterProblem({ ...fine, partition: 'gpu; rm -rf' })).toBe(
      'Partition: a SLURM partition name (letters, digits, _ - .).',
    );
    expect(clusterProblem({ ...fine, memMiB: 0.5 })).toBe(
      'Memory: a whole number of MiB, or empty to estimate.',
    );
  });

  it('switch the solver with the loss: HALS for Frobenius, MU where HALS and ALS cannot go', () => {
    expect(solverForLoss('mu', 'frobenius', 2)).toBe('hals');
    expect(solverForLoss('als', 'frobenius', 2)).toBe('als');
    expect(solverForLoss('hals', 'kl', 1)).toBe('mu');
    expect(solverForLoss('als', 'is', 0)).toBe('mu');
    expect(solverForLoss('hals', 'beta', 2)).toBe('hals');
    expect(solverForLoss('hals', 'beta', 1.5)).toBe('mu');
    expect(solverForLoss('mu', 'kl', 1)).toBe('mu');
  });

  it('keep only the problems found', () => {
    expect(problemsOf({ a: null, b: 'bad', c: null })).toEqual({ b: 'bad' });
    expect(problemsOf({ a: null })).toEqual({});
  });
});

describe('FitFormModel', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('picks the first dataset and fills in what it suggests', async () => {
    const { ports: p } = ports();
    const model = new FitFormModel(p, runPlan, null);
    expect(model.loaded).toBe(false);
    await model.loadDatasets();
    expect(model.loaded).toBe(true);
    expect(model.dataset?.name).toBe('counts');
    // Counts: KL by multiplicative updates; rank from the smaller dimension.
    expect(model.fit?.loss).toBe('kl');
    expect(model.fit?.solver).toBe('mu');
    expect(model.extra).toEqual({ rank: 3, replicates: 1 });
    expect(model.valid).toBe(true);
  });

  it('opens on the dataset the address names, and a new choice brings its own suggestions', async () => {
    const { ports: p } = ports();
    const model = new FitFormModel(p, runPlan, 2);
    await model.loadDatasets();
    expect(model.dataset?.name).toBe('small');
    expect(model.fit?.loss).toBe('frobenius');
    model.chosen = '1';
    model.applyDefaults();
    expect(model.fit?.loss).toBe('kl');
  });

  it('is invalid while an own field or an engine parameter has a problem', async () => {
    const { ports: p } = ports();
    const model = new FitFormModel(p, runPlan, 2);
    await model.loadDatasets();
    model.extra.rank = 5;
    expect(model.problems).toEqual({ rank: 'At most 4 (the smaller dimension).' });
    expect(model.valid).toBe(false);
    model.extra.rank = 2;
    expect(model.valid).toBe(true);
    model.fit!.tol = 2;
    expect(model.fitProblems.tol).toBe('Between 0 and 1.');
    expect(model.valid).toBe(false);
  });

  it('says "not loaded" apart from "no datasets", and shows a failed list', async () => {
    const fake = fakePorts({ 'datasets:list': () => ok([]) });
    const empty = new FitFormModel(fake.ports, runPlan, null);
    await empty.loadDatasets();
    expect(empty.loaded).toBe(true);
    expect(empty.fit).toBeNull();
    expect(empty.valid).toBe(false);
    fake.handlers['datasets:list'] = () => failed('library locked', 'unavailable');
    const broken = new FitFormModel(fake.ports, runPlan, null);
    await broken.loadDatasets();
    expect(broken.error?.message).toBe('library locked');
  });

  it('asks for the estimate after a quiet spell, with the fields as plain values, and only when valid', async () => {
    const { ports: p, calls } = ports();
    const model = new FitFormModel(p, runPlan, 1);
    await model.loadDatasets();
    model.requestEstimate();
    await vi.advanceTimersByTimeAsync(349);
    expect(calls.some((c) => c.channel === 'runs:estimate')).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const asked = calls.find((c) => c.channel === 'runs:estimate')!.request as {
      params: Record<string, unknown>;
    };
    expect(asked).toMatchObject({ datasetId: 1, params: { rank: 3, replicates: 1, loss: 'kl' } });
    // Plain data, as the transport clones it.
    expect(structuredClone(asked)).toEqual(asked);
    expect(model.estimator.estimate).toEqual(estimate);
    model.extra.rank = 0;
    model.requestEstimate();
    expect(model.estimator.estimate).toBeNull();
  });

  it('starts the job, says so and opens it; a refusal keeps the form', async () => {
    const fake = ports();
    const model = new FitFormModel(fake.ports, runPlan, 1);
    await model.loadDatasets();
    model.extra.replicates = 4;
    await model.start();
    const started = fake.calls.find((c) => c.channel === 'runs:start')!.request;
    expect(started).toMatchObject({ datasetId: 1, params: { rank: 3, replicates: 4 } });
    expect(fake.notices.map((n) => n.message)).toEqual(['Run 12 started.']);
    expect(fake.navigations).toEqual(['/runs/12']);

    fake.handlers['runs:start'] = () => failed('the queue is full', 'unavailable');
    await model.start();
    expect(model.error?.message).toBe('the queue is full');
    expect(model.busy).toBe(false);
    expect(model.extra.replicates).toBe(4);
    expect(fake.navigations).toEqual(['/runs/12']);
  });

  it('does not start an invalid form', async () => {
    const fake = ports();
    const model = new FitFormModel(fake.ports, runPlan, 1);
    await model.loadDatasets();
    model.extra.rank = 0;
    await model.start();
    expect(fake.calls.some((c) => c.channel === 'runs:start')).toBe(false);
  });
});

describe('the New sweep and New consensus plans', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a sweep fits tighter from random starts, over the suggested range', async () => {
    const fake = ports();
    const model = new FitFormModel(fake.ports, sweepPlan, 1);
    await model.loadDatasets();
    expect(model.fit).toMatchObject(SWEEP_FIT_DEFAULTS);
    expect(model.extra).toEqual({
      fromRank: 2,
      toRank: 8,
      replicates: 5,
      cvFolds: 3,
      baseline: true,
      sampleCv: false,
      holdoutTenth: false,
      consensusFits: 'auto',
    });
    // Automatic consensus fits leave the number to the service; a choice reaches it as a number.
    expect(sweepParams(model.fit!, model.extra)).not.toHaveProperty('consensusReplicates');
    expect(sweepParams(model.fit!, { ...model.extra, consensusFits: 'independent' })).toMatchObject({
      consensusReplicates: 20,
    });
    expect(sweepParams(model.fit!, { ...model.extra, consensusFits: 'replicates' })).toMatchObject({
      consensusReplicates: 0,
    });
    // A tenth per fold reaches the request as cvHoldout; without folds there is nothing to hold out.
    expect(sweepParams(model.fit!, { ...model.extra, holdoutTenth: true })).toMatchObject({ cvHoldout: 0.1 });
    expect(sweepParams(model.fit!, { ...model.extra, holdoutTenth: true, cvFolds: 20 })).toMatchObject({
      cvHoldout: 0.05,
    });
    expect(sweepParams(model.fit!, { ...model.extra, holdoutTenth: true, cvFolds: 0 })).not.toHaveProperty(
      'cvHoldout',
    );
    expect(sweepParams(model.fit!, model.extra)).not.toHaveProperty('cvHoldout');
    model.extra.cvFolds = 1;
    expect(model.problems).toEqual({ cvFolds: '0 (none) or 2 to 20 folds.' });
    model.extra.cvFolds = 0;
    await model.start();
    const request = fake.calls.find((c) => c.channel === 'sweeps:start')!.request as {
      params: { fit: Record<string, unknown> };
    };
    expect(request.params).toMatchObject({
      fromRank: 2,
      toRank: 8,
      replicates: 5,
      cvFolds: 0,
      baseline: true,
    });
    expect(request.params.fit.maxIter).toBe(SWEEP_FIT_DEFAULTS.maxIter);
    expect(fake.navigations).toEqual(['/sweeps/3']);
  });

  it('a consensus starts 100 random-start replicates of 1000 iterations without warm-up', async () => {
    const fake = ports();
    fake.handlers['consensus:start'] = () => ok({ id: 4 } as never);
    const model = new FitFormModel(fake.ports, consensusPlan, 2);
    await model.loadDatasets();
    expect(model.fit).toMatchObject({ init: 'random', maxIter: 1000, warmup: 0 });
    // The 6 × 4 table: the range stops below its smaller dimension.
    expect(model.extra).toEqual({ fromRank: 2, toRank: 3, replicates: 100, densityThreshold: 0.5 });
    model.extra.replicates = 1;
    expect(model.valid).toBe(false);
    model.extra.replicates = 20;
    await model.start();
    expect(fake.calls.find((c) => c.channel === 'consensus:start')!.request).toMatchObject({
      datasetId: 2,
      params: { fromRank: 2, toRank: 3, replicates: 20, densityThreshold: 0.5, fit: { init: 'random' } },
    });
    expect(fake.notices[0].message).toBe('Consensus 4 started.');
    expect(fake.navigations).toEqual(['/consensus/4']);
  });

  it('the cluster panel plans the form’s sweep with the SLURM options, and merges results back', async () => {
    const fake = ports();
    const transfers = fakeTransfers(1000);
    Object.assign(fake.handlers, transfers.handlers);
    fake.handlers['sweeps:clusterExport'] = () =>
      ok({
        fileName: 'nmf-sweep.tar.gz',
        download: transfers.offer('nmf-sweep.tar.gz', new Uint8Array(2048)),
        byteLength: 2048,
        fits: 30,
        tasks: 4,
      });
    const model = new FitFormModel(fake.ports, sweepPlan, 1);
    const saved: string[] = [];
    const cluster = new ClusterJob(fake.ports, sweepClusterTarget(fake.ports, model), (name, blob) =>
      saved.push(`${name} ${blob.size}`),
    );
    expect(cluster.canExport).toBe(false);
    await model.loadDatasets();
    expect(cluster.canExport).toBe(true);
    cluster.partition = 'bad partition';
    expect(cluster.canExport).toBe(false);
    cluster.partition = ' short ';
    cluster.tasks = 4;
    await cluster.exportJobFolder();
    expect(fake.calls.find((c) => c.channel === 'sweeps:clusterExport')!.request).toMatchObject({
      datasetId: 1,
      params: { fromRank: 2, toRank: 8 },
      tasks: 4,
      cpus: 1,
      partition: 'short',
      time: undefined,
      memMiB: undefined,
    });
    expect(saved).toEqual(['nmf-sweep.tar.gz 2048']);
    expect(fake.calls.filter((c) => c.channel === 'downloads:read')).toHaveLength(3);
    expect(cluster.status).toBe(
      'Saved nmf-sweep.tar.gz: 30 fits in 4 array tasks (2.0 KiB). Unpack it on the cluster and follow its README.md.',
    );

    fake.handlers['sweeps:clusterImport'] = () => failed('not a job folder');
    await cluster.importResults({ name: 'x.tar.gz', blob: new Blob([new Uint8Array(1)]) });
    expect(cluster.errorTitle).toBe('x.tar.gz was not merged — your library is unchanged');
    fake.handlers['sweeps:clusterImport'] = () => ok(sweep({ id: 7 }));
    await cluster.importResults({ name: 'y.tar.gz', blob: new Blob([new Uint8Array(5000)]) });
    expect(fake.calls.at(-1)!.request).toEqual({
      file: { fileName: 'y.tar.gz', bytes: { uploadId: expect.any(String) } },
    });
    expect(cluster.error).toBeNull();
    expect(fake.navigations).toEqual(['/sweeps/7']);
  });
});

describe('Sweep again: the New sweep form filled from a stored sweep', () => {
  // A stored sweep's parameters as the service keeps them (Golub's, with Frobenius HALS settings).
  const stored = sweepParamsSchema.parse({
    fromRank: 2,
    toRank: 5,
    replicates: 5,
    cvFolds: 3,
    baseline: true,
    consensusReplicates: 20,
    sampleFolds: 3,
    fit: { loss: 'frobenius', maxIter: 500, tol: 1e-4, seed: 7, l1H: 0.5, warmup: 0, warmupTol: 0 },
  });

  function portsWithSweep(params = stored) {
    const fake = ports();
    fake.handlers['sweeps:get'] = (request) =>
      request.id === 4
        ? ok({ ...sweep({ id: 4, datasetId: 1, params }), ranks: [], recommendation: null })
        : failed('Sweep 9 does not exist.', 'not_found');
    return fake;
  }

  it('reads the address: the sweep, a tenth per fold, a wider range; ignores what is not a rank', () => {
    expect(sweepAgainOf(new URLSearchParams('dataset=2'))).toBeNull();
    expect(sweepAgainOf(new URLSearchParams('from=abc'))).toBeNull();
    expect(sweepAgainOf(new URLSearchParams('from=4'))).toEqual({ from: 4, change: {} });
    expect(sweepAgainOf(new URLSearchParams('from=4&holdout=tenth&toRank=8&fromRank=1'))).toEqual({
      from: 4,
      change: { holdoutTenth: true, toRank: 8, fromRank: 1 },
    });
    expect(sweepAgainOf(new URLSearchParams('from=4&holdout=half&toRank=2.5&fromRank=0'))).toEqual({
      from: 4,
      change: {},
    });
  });

  it('maps every stored setting the form holds, and resolves the solver the sweep ran', () => {
    const { fit, extra } = sweepFormOf(stored, {});
    expect(fit).toEqual({
      loss: 'frobenius',
      // As stored: β is read only for the β loss.
      beta: 1,
      solver: 'hals',
      init: 'random',
      maxIter: 500,
      tol: 1e-4,
      seed: 7,
      l1W: 0,
      l2W: 0,
      l1H: 0.5,
      l2H: 0,
      shuffle: false,
      warmup: 0,
      warmupTol: 0,
    });
    expect(extra).toEqual({
      fromRank: 2,
      toRank: 5,
      replicates: 5,
      cvFolds: 3,
      baseline: true,
      sampleCv: true,
      holdoutTenth: false,
      consensusFits: 'independent',
    });
    // The stored choice of consensus fits is kept: none stays none; a sweep stored before the field
    // leaves it to the service.
    expect(sweepFormOf({ ...stored, consensusReplicates: 0 }, {}).extra.consensusFits).toBe('replicates');
    const { consensusReplicates: _dropped, ...beforeTheField } = stored;
    expect(sweepFormOf(beforeTheField, {}).extra.consensusFits).toBe('auto');
    expect(sweepFormOf(stored, { holdoutTenth: true, toRank: 8 }).extra).toMatchObject({
      holdoutTenth: true,
      toRank: 8,
      fromRank: 2,
    });
    expect(sweepFormOf({ ...stored, cvHoldout: 0.1 }, {}).extra.holdoutTenth).toBe(true);
  });

  it('fills the form from the sweep, says whose settings they are, and starts the changed sweep', async () => {
    const fake = portsWithSweep();
    // The address names another dataset; the sweep's own is chosen.
    const model = new FitFormModel(fake.ports, sweepPlan, 2, sweepPreset(4, { holdoutTenth: true }));
    await model.loadDatasets();
    expect(model.chosen).toBe('1');
    expect(model.presetNote).toBe(
      'The settings of sweep 4, with folds that each hold out a tenth of the entries.',
    );
    expect(model.extra).toMatchObject({ fromRank: 2, toRank: 5, holdoutTenth: true, sampleCv: true });
    await model.start();
    const request = fake.calls.find((c) => c.channel === 'sweeps:start')!.request as {
      datasetId: number;
      params: Record<string, unknown>;
    };
    expect(request.datasetId).toBe(1);
    expect(request.params).toMatchObject({
      fromRank: 2,
      toRank: 5,
      cvFolds: 3,
      cvHoldout: 0.1,
      sampleFolds: 3,
      consensusReplicates: 20,
    });
    expect(request.params.fit).toMatchObject({ loss: 'frobenius', seed: 7, l1H: 0.5, maxIter: 500 });
    // Reset goes back to the dataset's suggestions and drops the note.
    model.applyDefaults();
    expect(model.presetNote).toBeNull();
    expect(model.fit).toMatchObject(SWEEP_FIT_DEFAULTS);
  });

  it('names a holdout the form cannot hold and a changed range', async () => {
    const fake = portsWithSweep({ ...stored, cvHoldout: 0.05 });
    const model = new FitFormModel(fake.ports, sweepPlan, null, sweepPreset(4, { toRank: 8 }));
    await model.loadDatasets();
    expect(model.presetNote).toBe(
      'The settings of sweep 4, with ranks 2–8 instead of 2–5. Sweep 4 held out 5 % per fold; this form holds out a tenth (10 %).',
    );
  });

  it('names a number of consensus fits other than the form’s', async () => {
    const fake = portsWithSweep({ ...stored, consensusReplicates: 7 });
    const model = new FitFormModel(fake.ports, sweepPlan, null, sweepPreset(4, {}));
    await model.loadDatasets();
    expect(model.extra.consensusFits).toBe('independent');
    expect(model.presetNote).toBe(
      'The settings of sweep 4. Sweep 4 ran 7 consensus fits per k; this form runs 20.',
    );
  });

  it('shows why a sweep cannot be read and falls back to the suggestions', async () => {
    const fake = portsWithSweep();
    const model = new FitFormModel(fake.ports, sweepPlan, 2, sweepPreset(9, {}));
    await model.loadDatasets();
    expect(model.presetProblem).toBe('Sweep 9 does not exist.');
    expect(model.error).toBeNull();
    expect(model.presetNote).toBeNull();
    expect(model.chosen).toBe('2');
    expect(model.fit).toMatchObject(SWEEP_FIT_DEFAULTS);
  });
});
