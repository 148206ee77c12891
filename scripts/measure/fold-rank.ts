/**
 * Evidence for the rank a sweep with folds recommends on the hard cases (`hardCase`,
 * synthetic-cases.ts), and for the `marginal_gain` warning: one fold sweep per kind and data seed
 * (ranks 3..7, one replicate, 3 folds, the shuffled baseline, no consensus fits; KL with the
 * sweep's warm-up, or `--beta 2`), each sweep's summary appended as one JSON line to `--out`
 * (per rank: held-out errors per fold, paired difference and SE, the baseline's errors), and a
 * line per sweep on stdout with the recommendation and the held-out error per rank. The figures
 * of docs/architecture.md, "A cross-validated rank that barely beats the rank below".
 *
 *   node --import tsx scripts/measure/fold-rank.ts --out FILE.jsonl
 *       [--kinds intensities,planted,correlated,unequal-sizes,negative-binomial] [--seeds 1,2,3]
 *       [--beta 1] [--features 300] [--samples 100]
 */
import { appendFileSync } from 'node:fs';
import { installNativeKernels } from '../../src/main/native';
import {
  hardCase,
  planSweep,
  runSweepJob,
  summarizeSweep,
  type HardCaseKind,
  type SweepSpec,
} from '../../src/shared/analysis';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';
import { benchArgs } from '../bench/args';

installNativeKernels();
const { get } = benchArgs();
const out = get('--out');
const kinds = get('--kinds', 'intensities,planted,correlated,unequal-sizes,negative-binomial').split(
  ',',
) as HardCaseKind[];
const seeds = get('--seeds', '1,2,3').split(',').map(Number);
const beta = Number(get('--beta', '1'));
const features = Number(get('--features', '300'));
const samples = Number(get('--samples', '100'));

for (const kind of kinds) {
  for (const seed of seeds) {
    const data = hardCase(kind, { seed, features, samples });
    const spec: SweepSpec = {
      fromRank: 3,
      toRank: 7,
      replicates: 1,
      cvFolds: 3,
      baseline: true,
      consensusReplicates: 0,
      fit:
        beta === 1
          ? { beta: 1, tol: 1e-5, maxIter: 2000, seed, warmup: SWEEP_FIT_DEFAULTS.warmup }
          : { beta, tol: 1e-5, maxIter: 2000, seed },
    };
    const started = performance.now();
    const summary = summarizeSweep(
      spec,
      planSweep(spec).map((job) => runSweepJob(data.V, job)),
    );
    const line = {
      kind,
      seed,
      beta,
      features,
      samples,
      truth: data.trueRank,
      recommended: summary.recommendation.rank,
      criterion: summary.recommendation.criterion,
      warnings: summary.recommendation.warnings.map((w) => w.code),
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      ranks: summary.ranks.map((r) => ({
        rank: r.rank,
        cvError: r.cvError,
        cvErrors: r.cvErrors,
        cvErrorTrimmed: r.cvErrorTrimmed,
        cvPairedDifference: r.cvPairedDifference,
        cvPairedSe: r.cvPairedSe,
        baseline: r.baseline
          ? {
              cvError: r.baseline.cvError,
              cvErrorTrimmed: r.baseline.cvErrorTrimmed,
              cvErrors: r.baseline.cvErrors,
            }
          : null,
      })),
    };
    appendFileSync(out, JSON.stringify(line) + '\n');
    const errors = line.ranks.map((r) => `${r.rank}: ${(r.cvError ?? NaN).toPrecision(5)}`).join(', ');
    console.log(
      `${kind} seed ${seed} β ${beta}: ${line.recommended} (${line.criterion}; ${line.warnings.join(', ') || 'no warnings'}), planted ${line.truth} | ${errors} | ${line.seconds} s`,
    );
  }
}
