/**
 * Evidence for the rank a sweep without cross-validation recommends: no-folds sweeps with the
 * default plan (baseline on, `baselineReplicates: 0`: the baseline's loss and stability come from
 * its consensus fits) on planted data of several kinds and data seeds, and on the Golub data; then
 * every candidate rule scored per set and seed against the planted rank.
 *
 *   node --import tsx scripts/measure/nofolds-rank.ts run --out DIR
 *       [--sets cells,unequal-sizes,correlated,null,negative-binomial,planted-dense,golub]
 *       [--seeds 1,2,3] [--features 300] [--samples 1000] [--rank 5] [--ranks 2..8]
 *       [--replicates 5] [--consensus 10] [--max-iter 200] [--beta 1]
 *   node --import tsx scripts/measure/nofolds-rank.ts compare --out DIR [--stored DIR2]
 *   node --import tsx scripts/measure/nofolds-rank.ts cv --out DIR [--sets …] [--seeds …]
 *
 * `run` stores every job's result in DIR/<set>-seed<s>/<job id>.json and skips jobs already there
 * (fits are deterministic per job, so an interrupted run resumes to the same bits). `compare`
 * summarises each stored sweep with `summarizeSweep` and prints one JSON line per sweep and a
 * table; `--stored` also reads the whole-sweep files of `sparse-sweep-plan.ts run` (600 × 2500,
 * 10 replicates, 20 consensus fits), summarised with that spec and `baselineReplicates: 0`.
 *
 * `cv` runs the cross-check the no-folds warnings point to, a sweep with folds on the same data
 * (ranks 3..6, 3 folds, 3 replicates, no consensus fits, no baseline: only the held-out error),
 * and prints its recommendation and held-out error per rank (nothing stored; DIR unused).
 *
 * Data (planted rank `--rank`): `cells` (plantCellModules/sampleCellMatrix, ~12 % non-zeros, CSR),
 * `unequal-sizes`, `correlated` and `null` (hardCase at 0.12 counts per entry, ~11 % non-zeros,
 * CSR), `negative-binomial` and `planted-dense` (hardCase, dense, 10 counts per entry on average;
 * NB size 5: overdispersed), `intensities` (hardCase, dense, log1p of 10 counts per entry on
 * average with log-normal error: not counts; run it with `--beta 2` too, the loss the forms
 * suggest for values in a narrow range), `golub` (e2e/fixtures/golub, 5000 × 38, no planted rank; one seed).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installNativeKernels } from '../../src/main/native';
import { readImportFile } from '../../src/main/services/datasets';
import {
  frigyesiRank,
  recommendRank,
  stabilityRank,
  type RecommendOptions,
} from '../../src/shared/analysis/recommend';
import { planSweep, runSweepJob, summarizeSweep } from '../../src/shared/analysis/sweep';
import { hardCase, type HardCaseKind } from '../../src/shared/analysis/synthetic-cases';
import { plantCellModules, sampleCellMatrix } from '../../src/shared/analysis/synthetic-cells';
import type { RankSummary, SweepJobResult, SweepSpec } from '../../src/shared/analysis/types';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';
import { defaultSolverFor } from '../../src/shared/nmf/defaults';
import { csrFromDense } from '../../src/shared/linalg/ops';
import type { CsrMatrix, DenseMatrix } from '../../src/shared/linalg/matrix';

const args = process.argv.slice(2);
const mode = args[0];
const get = (key: string, fallback?: string): string => {
  const at = args.indexOf(key);
  if (at >= 0 && args[at + 1] !== undefined) return args[at + 1];
  if (fallback === undefined) throw new Error(`${key} is required`);
  return fallback;
};
const out = get('--out');

/** The default no-folds plan at the evidence's sizes (what the service stores for such a sweep). */
function noFoldsSpec(
  fromRank: number,
  toRank: number,
  replicates: number,
  consensus: number,
  maxIter: number,
  beta: number,
): SweepSpec {
  const solver = defaultSolverFor(beta);
  return {
    fromRank,
    toRank,
    replicates,
    cvFolds: 0,
    consensusReplicates: consensus,
    baseline: true,
    baselineReplicates: 0,
    fit: {
      beta,
      solver,
      init: SWEEP_FIT_DEFAULTS.init,
      maxIter,
      tol: SWEEP_FIT_DEFAULTS.tol,
      seed: 0,
      // The HALS warm-up precedes multiplicative updates only (as the sweep form sets it).
      warmup: solver === 'mu' ? SWEEP_FIT_DEFAULTS.warmup : 0,
    },
  };
}

/** One data set: V (m × n), its planted rank (null: none or unknown). */
async function makeData(
  set: string,
  seed: number,
  features: number,
  samples: number,
  rank: number,
): Promise<{ V: CsrMatrix | DenseMatrix; planted: number | null }> {
  if (set === 'golub') {
    const imported = await readImportFile(join('e2e', 'fixtures', 'golub', 'golub.tsv.gz'), {
      transpose: false,
      header: true,
      rowNames: true,
      transform: 'none',
    });
    return { V: imported.matrix as DenseMatrix, planted: null };
  }
  if (set === 'cells') {
    const model = plantCellModules({ features, cells: samples, rank, depth: 0.16 * features, seed });
    return { V: sampleCellMatrix(model).V, planted: rank };
  }
  const dense = set === 'negative-binomial' || set === 'planted-dense' || set === 'intensities';
  const kind = (set === 'planted-dense' ? 'planted' : set) as HardCaseKind;
  const generated = hardCase(kind, { features, samples, rank, depth: (dense ? 10 : 0.12) * features, seed });
  return { V: dense ? generated.V : csrFromDense(generated.V), planted: generated.trueRank };
}

/** What the summary reads of a job result (factors are not stored). */
function stripped(result: SweepJobResult): unknown {
  const w = result.normalizedW;
  return { ...result, factors: null, normalizedW: w ? { ...w, data: Array.from(w.data) } : null };
}

/** A stored result as `summarizeSweep` reads it (W's entries back in a Float64Array). */
function revived(result: SweepJobResult): SweepJobResult {
  const w = result.normalizedW;
  return { ...result, normalizedW: w ? { ...w, data: Float64Array.from(w.data) } : null };
}

async function run(): Promise<void> {
  installNativeKernels();
  const sets = get(
    '--sets',
    'cells,unequal-sizes,correlated,null,negative-binomial,planted-dense,golub',
  ).split(',');
  const seeds = get('--seeds', '1,2,3').split(',').map(Number);
  const features = Number(get('--features', '300'));
  const samples = Number(get('--samples', '1000'));
  const rank = Number(get('--rank', '5'));
  const [fromRank, toRank] = get('--ranks', '2..8').split('..').map(Number);
  const spec = noFoldsSpec(
    fromRank,
    toRank,
    Number(get('--replicates', '5')),
    Number(get('--consensus', '10')),
    Number(get('--max-iter', '200')),
    Number(get('--beta', '1')),
  );
  for (const set of sets) {
    for (const seed of set === 'golub' ? [0] : seeds) {
      const dir = join(out, `${set}-seed${seed}`);
      mkdirSync(dir, { recursive: true });
      const { V, planted } = await makeData(set, seed, features, samples, rank);
      const density = 'indptr' in V ? V.indptr[V.rows] / (V.rows * V.cols) : 1;
      writeFileSync(
        join(dir, 'sweep.json'),
        JSON.stringify({ set, seed, rows: V.rows, cols: V.cols, planted, density, spec }),
      );
      const cpu0 = process.cpuUsage();
      let ran = 0;
      for (const job of planSweep(spec)) {
        const file = join(dir, `${job.id.replaceAll('/', '_')}.json`);
        if (existsSync(file)) continue;
        writeFileSync(file, JSON.stringify(stripped(runSweepJob(V, job))));
        ran++;
      }
      const cpu = process.cpuUsage(cpu0);
      console.log(
        JSON.stringify({
          set,
          seed,
          density: Number(density.toFixed(4)),
          ran,
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
        }),
      );
    }
  }
}

interface Sweep {
  name: string;
  set: string;
  seed: number;
  rows: number;
  cols: number;
  planted: number | null;
  spec: SweepSpec;
  results: SweepJobResult[];
}

function* storedSweeps(): Generator<Sweep> {
  for (const entry of readdirSync(out).sort()) {
    const dir = join(out, entry);
    if (!existsSync(join(dir, 'sweep.json'))) continue;
    const head = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as Omit<Sweep, 'results' | 'name'>;
    const results = planSweep(head.spec).map((job) => {
      const file = join(dir, `${job.id.replaceAll('/', '_')}.json`);
      if (!existsSync(file)) return null;
      return revived(JSON.parse(readFileSync(file, 'utf8')) as SweepJobResult);
    });
    if (results.some((r) => r === null)) {
      console.error(`${entry}: incomplete, skipped`);
      continue;
    }
    yield { ...head, name: `${head.set} ${head.rows}×${head.cols}`, results: results as SweepJobResult[] };
  }
  const stored = args.includes('--stored') ? get('--stored') : null;
  if (stored === null) return;
  for (const file of readdirSync(stored)
    .filter((f) => /-seed\d+\.json$/.test(f))
    .sort()) {
    const s = JSON.parse(readFileSync(join(stored, file), 'utf8')) as {
      kind: string;
      seed: number;
      features: number;
      samples: number;
      plantedRank: number;
      spec: SweepSpec;
      results: SweepJobResult[];
    };
    // The default plan of today: the baseline without its warm-started replicates.
    const spec = { ...s.spec, baselineReplicates: 0 };
    const ids = new Set(planSweep(spec).map((job) => job.id));
    yield {
      name: `${s.kind} ${s.features}×${s.samples}`,
      set: s.kind,
      seed: s.seed,
      rows: s.features,
      cols: s.samples,
      planted: s.plantedRank,
      spec,
      results: s.results.filter((r) => ids.has(r.jobId)).map(revived),
    };
  }
}

/** Brunet's cophenetic rule alone: the recommendation with BIC and the baseline taken away. */
function brunetRank(ranks: RankSummary[], options: RecommendOptions): number | null {
  return recommendRank(
    ranks.map((r) => ({ ...r, bic: null, baseline: null })),
    options,
  ).rank;
}

/** Today's rule (BIC where its Poisson model holds, else Brunet's): the recommendation without a baseline. */
function withoutBaseline(
  ranks: RankSummary[],
  options: RecommendOptions,
): { rank: number | null; criterion: string } {
  const r = recommendRank(
    ranks.map((x) => ({ ...x, baseline: null })),
    options,
  );
  return { rank: r.rank, criterion: r.criterion };
}

function compare(): void {
  const rows: string[] = [];
  for (const sweep of storedSweeps()) {
    const summary = summarizeSweep(sweep.spec, sweep.results);
    const integerData = sweep.results.find((r) => r.kind === 'replicate' && !r.baseline)?.integerData ?? null;
    const options: RecommendOptions = {
      integerData,
      fromRank: sweep.spec.fromRank,
      toRank: sweep.spec.toRank,
    };
    const ranks = summary.ranks;
    const bicRanks = ranks.filter((r) => r.bic !== null);
    const lowestBic = bicRanks.length > 0 ? bicRanks.reduce((a, b) => (b.bic! < a.bic! ? b : a)) : null;
    const today = withoutBaseline(ranks, options);
    const candidates = {
      frigyesi: frigyesiRank(ranks),
      bic: lowestBic?.rank ?? null,
      bicUsed: today.criterion === 'bic',
      brunet: brunetRank(ranks, options),
      stability: stabilityRank(ranks),
    };
    const rule = summary.recommendation;
    const line = {
      data: sweep.name,
      seed: sweep.seed,
      planted: sweep.planted,
      today,
      candidates,
      rule: { rank: rule.rank, criterion: rule.criterion, warnings: rule.warnings.map((w) => w.code) },
      perRank: ranks.map((r) => ({
        k: r.rank,
        loss: r.loss,
        bLoss: r.baseline?.loss ?? null,
        stab: r.stability,
        bStab: r.baseline?.stability ?? null,
        coph: r.cophenetic,
        bic: r.bic,
        phi: r.pearsonDispersion,
      })),
      reasoning: rule.reasoning,
    };
    console.log(JSON.stringify(line));
    const show = (k: number | null): string => (k === null ? '—' : String(k));
    rows.push(
      `| ${sweep.name} | ${sweep.seed} | ${show(sweep.planted)} | ${show(today.rank)} (${today.criterion}) | ${show(candidates.frigyesi.rank)}${candidates.frigyesi.tieAt !== null ? ` (tie ${candidates.frigyesi.tieAt}/${candidates.frigyesi.tieAt + 1})` : ''} | ${show(candidates.bic)}${candidates.bicUsed ? '' : '*'} | ${show(candidates.brunet)} | ${show(candidates.stability.rank)} | ${show(rule.rank)} (${rule.criterion}) |`,
    );
  }
  console.log(
    '| data | seed | planted | today | (a) loss vs baseline | (b) BIC | (c) Brunet | (d) stability vs baseline | rule |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

/** Sweeps with folds on the same data: what "run the sweep with cross-validation folds" gives. */
async function crossValidated(): Promise<void> {
  installNativeKernels();
  const sets = get('--sets', 'cells,unequal-sizes,correlated').split(',');
  const seeds = get('--seeds', '1').split(',').map(Number);
  const features = Number(get('--features', '300'));
  const samples = Number(get('--samples', '1000'));
  const spec: SweepSpec = {
    fromRank: 3,
    toRank: 6,
    replicates: 3,
    cvFolds: 3,
    consensusReplicates: 0,
    baseline: false,
    fit: { beta: Number(get('--beta', '1')), maxIter: Number(get('--max-iter', '200')), seed: 0 },
  };
  for (const set of sets) {
    for (const seed of seeds) {
      const { V, planted } = await makeData(set, seed, features, samples, Number(get('--rank', '5')));
      const summary = summarizeSweep(
        spec,
        planSweep(spec).map((job) => runSweepJob(V, job)),
      );
      console.log(
        JSON.stringify({
          set,
          seed,
          planted,
          recommended: summary.recommendation.rank,
          criterion: summary.recommendation.criterion,
          cvError: summary.ranks.map((r) => [r.rank, r.cvError]),
        }),
      );
    }
  }
}

if (mode === 'cv') {
  crossValidated().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else if (mode === 'run') {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else if (mode === 'compare') compare();
else throw new Error('mode: run, compare or cv');
