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
 *       [--beta 1] [--features 300] [--samples 100] [--module-sizes 230,40,15,10,5] [--cv-starts N]
 *       [--warmup-tol T] [--cv-holdout H] [--rare-program GENES,SAMPLES,MEAN]
 *       [--cv-screen-after-warmup N] [--ranks 3..7] [--no-baseline]
 *   node --import tsx scripts/measure/fold-rank.ts --reread FILE.jsonl [FILE.jsonl …]
 *
 * `--rare-program` adds a program that only a few samples carry: GENES features and SAMPLES samples
 * drawn at random (from the data seed), each of those entries gaining Poisson(MEAN) counts; the
 * planted rank is then one more. It is the case where a rank's advantage lies in few held-out
 * entries and is real (see the `extreme_entries` warning).
 *
 * `--cv-screen-after-warmup N` screens each fold fit's starts for N multiplicative updates after
 * their warm-up (`SweepSpec.cvScreenAfterWarmup`; 0: the warm-up alone); absent, the default screen.
 * Each line also lists the fold fits (data and baseline): the start each kept, its iterations and
 * seconds, wall-clock (`seconds`, summed in `foldSeconds`) and CPU of the process while each ran
 * (`cpuSeconds`, summed in `foldCpuSeconds`).
 *
 * `--reread` reads stored sweeps' summaries again with today's `recommendRank` (no fits), one line
 * per sweep with the rank chosen then and now, and the count at the planted rank.
 */
import { appendFileSync, readFileSync } from 'node:fs';
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
import { recommendRank } from '../../src/shared/analysis/recommend';
import type { RankSummary } from '../../src/shared/analysis/types';
import { emptyCriteria } from '../../src/shared/analysis/__tests__/criteria';
import { Rng } from '../../src/shared/linalg/random';
import { benchArgs } from '../bench/args';

const { get, has } = benchArgs();
if (has('--reread')) {
  reread(process.argv.slice(process.argv.indexOf('--reread') + 1));
  process.exit(0);
}
installNativeKernels();
const out = get('--out');
const kinds = get('--kinds', 'intensities,planted,correlated,unequal-sizes,negative-binomial').split(
  ',',
) as HardCaseKind[];
const seeds = get('--seeds', '1,2,3').split(',').map(Number);
const beta = Number(get('--beta', '1'));
const features = Number(get('--features', '300'));
const samples = Number(get('--samples', '100'));
const warmupTol = has('--warmup-tol') ? Number(get('--warmup-tol')) : undefined;
const cvStarts = has('--cv-starts') ? Number(get('--cv-starts')) : undefined;
const moduleSizes = has('--module-sizes') ? get('--module-sizes').split(',').map(Number) : undefined;
const cvHoldout = has('--cv-holdout') ? Number(get('--cv-holdout')) : undefined;
const rare = has('--rare-program') ? get('--rare-program').split(',').map(Number) : undefined;
const screenAfterWarmup = has('--cv-screen-after-warmup')
  ? Number(get('--cv-screen-after-warmup'))
  : undefined;
const [fromRank, toRank] = get('--ranks', '3..7').split('..').map(Number);
const baseline = !has('--no-baseline');

for (const kind of kinds) {
  for (const seed of seeds) {
    const data = hardCase(kind, { seed, features, samples, ...(moduleSizes ? { moduleSizes } : {}) });
    if (rare) {
      const [genes, carriers, mean] = rare;
      const rng = new Rng(1000 + seed);
      const rows = rng.subset(features, genes);
      const cols = rng.subset(samples, carriers);
      for (const i of rows) for (const j of cols) data.V.data[i * samples + j] += rng.poisson(mean);
      if (data.trueRank !== null) data.trueRank += 1;
    }
    const spec: SweepSpec = {
      fromRank,
      toRank,
      replicates: 1,
      cvFolds: 3,
      baseline,
      consensusReplicates: 0,
      ...(cvHoldout !== undefined ? { cvHoldout } : {}),
      ...(cvStarts !== undefined ? { cvStarts } : {}),
      ...(screenAfterWarmup !== undefined ? { cvScreenAfterWarmup: screenAfterWarmup } : {}),
      fit:
        beta === 1
          ? {
              beta: 1,
              tol: 1e-5,
              maxIter: 2000,
              seed,
              warmup: SWEEP_FIT_DEFAULTS.warmup,
              ...(warmupTol !== undefined ? { warmupTol } : {}),
            }
          : { beta, tol: 1e-5, maxIter: 2000, seed },
    };
    const started = performance.now();
    // CPU per job besides the fit's own wall-clock `seconds`: on a shared machine only the former
    // compares runs made at different times.
    const cpuSeconds = new Map<string, number>();
    const results = planSweep(spec).map((job) => {
      const before = process.cpuUsage();
      const result = runSweepJob(data.V, job);
      const used = process.cpuUsage(before);
      cpuSeconds.set(job.id, (used.user + used.system) / 1e6);
      return result;
    });
    const summary = summarizeSweep(spec, results);
    const folds = results
      .filter((r) => r.kind === 'fold')
      .map((r) => ({
        id: r.jobId,
        seed: r.seed,
        iterations: r.iterations,
        seconds: r.seconds,
        cpuSeconds: cpuSeconds.get(r.jobId)!,
        loss: r.loss,
      }));
    const line = {
      kind,
      seed,
      beta,
      features,
      samples,
      ...(moduleSizes ? { moduleSizes } : {}),
      ...(rare ? { rareProgram: rare } : {}),
      ...(cvHoldout !== undefined ? { cvHoldout } : {}),
      ...(cvStarts !== undefined ? { cvStarts } : {}),
      ...(warmupTol !== undefined ? { warmupTol } : {}),
      ...(screenAfterWarmup !== undefined ? { cvScreenAfterWarmup: screenAfterWarmup } : {}),
      ...(fromRank !== 3 || toRank !== 7 ? { rankRange: [fromRank, toRank] } : {}),
      ...(baseline ? {} : { baseline: false }),
      truth: data.trueRank,
      recommended: summary.recommendation.rank,
      criterion: summary.recommendation.criterion,
      warnings: summary.recommendation.warnings.map((w) => w.code),
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      foldSeconds: +folds.reduce((sum, f) => sum + f.seconds, 0).toFixed(2),
      foldCpuSeconds: +folds.reduce((sum, f) => sum + f.cpuSeconds, 0).toFixed(2),
      folds,
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
      `${kind} seed ${seed} β ${beta}: ${line.recommended} (${line.criterion}; ${line.warnings.join(', ') || 'no warnings'}), planted ${line.truth} | ${errors} | ${line.seconds} s (folds ${line.foldSeconds} s, CPU ${line.foldCpuSeconds} s)`,
    );
  }
}

/** Stored sweeps (this script's lines) recommended again from their per-rank held-out errors. */
function reread(files: readonly string[]): void {
  let total = 0;
  let planted = 0;
  for (const file of files) {
    for (const text of readFileSync(file, 'utf8').trim().split('\n')) {
      const sweep = JSON.parse(text) as {
        kind: HardCaseKind;
        seed: number;
        samples: number;
        moduleSizes?: number[];
        rareProgram?: number[];
        cvHoldout?: number;
        truth: number | null;
        recommended: number | null;
        ranks: Array<
          Pick<
            RankSummary,
            'rank' | 'cvError' | 'cvErrors' | 'cvErrorTrimmed' | 'cvPairedDifference' | 'cvPairedSe'
          > & { baseline: Pick<RankSummary, 'cvError' | 'cvErrors' | 'cvErrorTrimmed'> | null }
        >;
      };
      const ranks: RankSummary[] = sweep.ranks.map(({ baseline, ...r }) => ({
        ...emptyCriteria(r.rank, r),
        baseline: baseline ? emptyCriteria(r.rank, baseline) : null,
      }));
      const now = recommendRank(ranks, {
        integerData: sweep.kind !== 'intensities',
        ...(sweep.cvHoldout !== undefined ? { cvHoldout: sweep.cvHoldout } : {}),
      });
      total++;
      if (now.rank === sweep.truth) planted++;
      const what = [
        sweep.kind,
        sweep.moduleSizes?.join('/'),
        sweep.rareProgram ? `rare ${sweep.rareProgram.join(',')}` : undefined,
        sweep.cvHoldout !== undefined ? `holdout ${sweep.cvHoldout}` : undefined,
      ]
        .filter((part) => part !== undefined)
        .join(' ');
      console.log(
        `${what} seed ${sweep.seed}, ${sweep.samples} samples: ${sweep.recommended} then, ${now.rank} now (${now.warnings.map((w) => w.code).join(', ') || 'no warnings'}), planted ${sweep.truth}`,
      );
    }
  }
  console.log(`${planted} of ${total} at the planted rank`);
}
