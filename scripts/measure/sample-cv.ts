/**
 * Does sample-wise cross-validation pick the planted rank more often than the entry-wise one?
 * Sweeps (ranks A..B, one replicate, 3 entry-wise folds, F sample folds, no consensus fits, no
 * baseline, the sweep's default KL fit) over the hard cases with a planted rank and the product's
 * planted gene modules, several seeds each; prints one line per case and seed and a table.
 *
 *   node --import tsx scripts/measure/sample-cv.ts [--seeds 1,2,3] [--ranks 3..7] [--sample-folds 3]
 *        [--kinds planted,correlated,...] [--features 300] [--samples 100]
 */
import { parseArgs } from 'node:util';
import { installNativeKernels } from '../../src/main/native';
import { planSweep, runSweepJob, summarizeSweep } from '../../src/shared/analysis/sweep';
import { sampleCvRank } from '../../src/shared/analysis/sample-cv';
import { hardCase, type HardCaseKind } from '../../src/shared/analysis/synthetic-cases';
import { synthesizeGeneModules } from '../../src/shared/analysis/synthetic';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';
import type { DataMatrix } from '../../src/shared/linalg/matrix';
import type { SweepSpec } from '../../src/shared/analysis/types';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    ranks: { type: 'string', default: '3..7' },
    'sample-folds': { type: 'string', default: '3' },
    kinds: {
      type: 'string',
      default: 'planted,correlated,negative-binomial,unequal-sizes,intensities,synth,null',
    },
    features: { type: 'string', default: '300' },
    samples: { type: 'string', default: '100' },
  },
});
installNativeKernels();
const seeds = values.seeds.split(',').map(Number);
const [fromRank, toRank] = values.ranks.split('..').map(Number);
const sampleFolds = Number(values['sample-folds']);
const features = Number(values.features);
const samples = Number(values.samples);

function dataOf(kind: string, seed: number): { V: DataMatrix; trueRank: number | null } {
  if (kind === 'synth') {
    const data = synthesizeGeneModules({ features, samples, rank: 5, seed });
    return { V: data.V, trueRank: 5 };
  }
  const c = hardCase(kind as HardCaseKind, { features, samples, rank: 5, seed });
  return { V: c.V, trueRank: c.trueRank };
}

const tally = new Map<
  string,
  { n: number; entry: number; sample: number; entryPicks: string[]; samplePicks: string[] }
>();
for (const kind of values.kinds.split(',')) {
  for (const seed of seeds) {
    const { V, trueRank } = dataOf(kind, seed);
    const spec: SweepSpec = {
      fromRank,
      toRank,
      replicates: 1,
      cvFolds: 3,
      sampleFolds,
      consensusReplicates: 0,
      baseline: false,
      fit: {
        beta: 1,
        solver: 'mu',
        init: 'random',
        maxIter: SWEEP_FIT_DEFAULTS.maxIter,
        tol: SWEEP_FIT_DEFAULTS.tol,
        seed,
        warmup: SWEEP_FIT_DEFAULTS.warmup,
      },
    };
    const started = Date.now();
    const results = planSweep(spec).map((job) => runSweepJob(V, job));
    const summary = summarizeSweep(spec, results);
    const entry = summary.recommendation.criterion.startsWith('cv') ? summary.recommendation.rank : null;
    const sample = sampleCvRank(summary.ranks);
    const row = summary.ranks
      .map(
        (r) =>
          `k${r.rank}: cv ${r.cvError!.toFixed(4)} scv ${r.sampleCvError!.toFixed(4)}±${(r.sampleCvSe ?? 0).toFixed(4)}`,
      )
      .join('  ');
    console.log(
      `${kind} seed ${seed} true ${trueRank} | entry-wise ${entry} (${summary.recommendation.criterion}) | sample-wise ${sample} | ${((Date.now() - started) / 1000).toFixed(0)} s | ${row}`,
    );
    let t = tally.get(kind);
    if (!t) tally.set(kind, (t = { n: 0, entry: 0, sample: 0, entryPicks: [], samplePicks: [] }));
    t.n++;
    if (entry === trueRank) t.entry++;
    if (sample === trueRank) t.sample++;
    t.entryPicks.push(String(entry));
    t.samplePicks.push(String(sample));
  }
}
console.log('\n| data | seeds | entry-wise CV: true rank | picks | sample-wise CV: true rank | picks |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [kind, t] of tally)
  console.log(
    `| ${kind} | ${t.n} | ${t.entry}/${t.n} | ${t.entryPicks.join(', ')} | ${t.sample}/${t.n} | ${t.samplePicks.join(', ')} |`,
  );
