/**
 * Evidence for the plan of a sparse rank sweep without cross-validation: every job of today's plan
 * (10 warm-started replicates, 20 consensus fits, 10 baseline replicates and 10 baseline consensus
 * fits per rank) on planted sparse counts, stored, then each candidate plan summarised from the
 * subset of those results its own plan names (fits are deterministic per job: a candidate's job with
 * the same id and fit options gives the same bits, which `compare` checks), against today's plan.
 *
 *   node --import tsx scripts/measure/sparse-sweep-plan.ts run --out DIR [--cases cells,correlated]
 *       [--seeds 1,2,3] [--features 600] [--samples 2500] [--rank 5] [--ranks 2..8]
 *   node --import tsx scripts/measure/sparse-sweep-plan.ts compare --out DIR
 *
 * Data: `cells` (plantCellModules/sampleCellMatrix: Dirichlet(0.3) cell mixes, log-normal depth,
 * Poisson counts, 5 % moonlighting genes), `correlated` and `unequal-sizes` (hardCase: activities
 * of modules 0 and 1 correlated at ρ ≈ 0.97; module sizes 60/20/10/6/4 %), all at ~10 % non-zeros
 * and stored as CSR, as the sparse bench set is.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installNativeKernels } from '../../src/main/native';
import { planSweep, runSweepJob, summarizeSweep, toRanksJson } from '../../src/shared/analysis/sweep';
import { plantCellModules, sampleCellMatrix } from '../../src/shared/analysis/synthetic-cells';
import { hardCase, type HardCaseKind } from '../../src/shared/analysis/synthetic-cases';
import type { SweepJob, SweepJobResult, SweepSpec, SweepSummary } from '../../src/shared/analysis/types';
import { recommendRank } from '../../src/shared/analysis/recommend';
import { csrFromDense } from '../../src/shared/linalg/ops';
import type { CsrMatrix } from '../../src/shared/linalg/matrix';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';

const args = process.argv.slice(2);
const mode = args[0];
const get = (key: string, fallback?: string): string => {
  const at = args.indexOf(key);
  if (at >= 0 && args[at + 1] !== undefined) return args[at + 1];
  if (fallback === undefined) throw new Error(`${key} is required`);
  return fallback;
};
const out = get('--out');

/** Today's plan of the sparse CLI sweep (`--replicates 10 --cv-folds 0 --max-iter 200`) over some ranks. */
function todaysSpec(fromRank: number, toRank: number): SweepSpec {
  return {
    fromRank,
    toRank,
    replicates: 10,
    cvFolds: 0,
    consensusReplicates: 20,
    baseline: true,
    fit: {
      beta: 1,
      solver: 'mu',
      init: SWEEP_FIT_DEFAULTS.init,
      maxIter: 200,
      tol: SWEEP_FIT_DEFAULTS.tol,
      seed: 0,
      warmup: SWEEP_FIT_DEFAULTS.warmup,
    },
  };
}

/** Planted sparse counts (m × n CSR) of one case and data seed, ~10 % non-zeros. */
function makeData(kind: string, seed: number, features: number, samples: number, rank: number): CsrMatrix {
  if (kind === 'cells') {
    const model = plantCellModules({ features, cells: samples, rank, depth: 0.16 * features, seed });
    return sampleCellMatrix(model).V;
  }
  const generated = hardCase(kind as HardCaseKind, {
    features,
    samples,
    rank,
    depth: 0.12 * features,
    seed,
  });
  return csrFromDense(generated.V);
}

/** What a candidate reads of a job result (its factors are not stored: ~1 MB per data replicate). */
function stripped(result: SweepJobResult): unknown {
  const w = result.normalizedW;
  return { ...result, factors: null, normalizedW: w ? { ...w, data: Array.from(w.data) } : null };
}

/** A stored result as `summarizeSweep` reads it (W's entries back in a Float64Array). */
function revived(result: SweepJobResult): SweepJobResult {
  const w = result.normalizedW;
  return { ...result, normalizedW: w ? { ...w, data: Float64Array.from(w.data) } : null };
}

function run(): void {
  installNativeKernels();
  const cases = get('--cases', 'cells,correlated').split(',');
  const seeds = get('--seeds', '1,2,3').split(',').map(Number);
  const features = Number(get('--features', '600'));
  const samples = Number(get('--samples', '2500'));
  const rank = Number(get('--rank', '5'));
  const [fromRank, toRank] = get('--ranks', '2..8').split('..').map(Number);
  mkdirSync(out, { recursive: true });
  for (const kind of cases) {
    for (const seed of seeds) {
      const file = join(out, `${kind}-seed${seed}.json`);
      const V = makeData(kind, seed, features, samples, rank);
      const density = V.indptr[V.rows] / (V.rows * V.cols);
      const spec = todaysSpec(fromRank, toRank);
      const jobs = planSweep(spec);
      const cpu0 = process.cpuUsage();
      const results = jobs.map((job) => stripped(runSweepJob(V, job)));
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      writeFileSync(
        file,
        JSON.stringify({
          kind,
          seed,
          features,
          samples,
          plantedRank: rank,
          density,
          spec,
          jobs,
          results,
          cpuSeconds,
        }),
      );
      console.log(
        JSON.stringify({ kind, seed, density: Number(density.toFixed(4)), fits: jobs.length, cpuSeconds }),
      );
    }
  }
}

interface Stored {
  kind: string;
  seed: number;
  plantedRank: number;
  density: number;
  spec: SweepSpec;
  jobs: SweepJob[];
  results: SweepJobResult[];
}

/** A candidate plan: its spec, and optionally a rewrite of the stored results it reads. */
interface Candidate {
  name: string;
  spec: (today: SweepSpec) => SweepSpec;
  /** Results of the candidate's plan it does not have (plans the spec cannot express). */
  drop?: (result: SweepJobResult) => boolean;
}

/** The results a candidate's plan names, checked to be the same fits as today's jobs of those ids. */
function resultsFor(stored: Stored, spec: SweepSpec): SweepJobResult[] {
  const todayJobs = new Map(stored.jobs.map((job) => [job.id, job]));
  const byId = new Map(stored.results.map((result) => [result.jobId, result]));
  return planSweep(spec).map((job) => {
    const today = todayJobs.get(job.id);
    if (!today || JSON.stringify(today) !== JSON.stringify(job))
      throw new Error(`candidate job ${job.id} is not one of today's fits`);
    return byId.get(job.id)!;
  });
}

/** Relative spread (max − min) / min of some losses. */
function spread(losses: number[]): number {
  const lo = Math.min(...losses);
  return (Math.max(...losses) - lo) / lo;
}

function compare(candidates: Candidate[]): void {
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const file of files) {
    const stored = JSON.parse(readFileSync(join(out, file), 'utf8')) as Stored;
    stored.results = stored.results.map(revived);
    const today = summarizeSweep(stored.spec, stored.results);
    const todayJson = toRanksJson(today);
    const line: Record<string, unknown> = {
      data: `${stored.kind} seed ${stored.seed}`,
      density: Number(stored.density.toFixed(3)),
      planted: stored.plantedRank,
      today: {
        recommended: today.recommendation.rank,
        criterion: today.recommendation.criterion,
        warnings: todayJson.warnings.map((w) => w.code),
        brunet: brunetRank(today, stored.spec),
        reasoning: today.recommendation.reasoning,
      },
      perRank: today.ranks.map((r) => ({
        k: r.rank,
        coph: round(r.cophenetic),
        stab: round(r.stability),
        disp: round(r.dispersion),
        bCoph: round(r.baseline?.cophenetic ?? null),
        bStab: round(r.baseline?.stability ?? null),
        bLoss: r.baseline?.loss,
        loss: r.loss,
      })),
    };
    // Baseline replicates: how far apart their losses are (only the best is read), and how the best
    // warm-started replicate compares with the best fit from a random start without warm-up.
    line.baselineLoss = today.ranks.map((r) => {
      const reps = stored.results.filter((x) => x.baseline && x.rank === r.rank && x.kind === 'replicate');
      const cons = stored.results.filter((x) => x.baseline && x.rank === r.rank && x.kind === 'consensus');
      const bestRep = Math.min(...reps.map((x) => x.loss));
      const bestCons = Math.min(...cons.map((x) => x.loss));
      return {
        k: r.rank,
        replicateSpread: sci(spread(reps.map((x) => x.loss))),
        consensusSpread: sci(spread(cons.map((x) => x.loss))),
        bestConsensusOverBestReplicate: sci((bestCons - bestRep) / bestRep),
        dataGap: sci((bestRep - r.loss) / bestRep),
      };
    });
    const outcomes: Record<string, unknown> = {};
    for (const candidate of candidates) {
      const spec = candidate.spec(stored.spec);
      const results = resultsFor(stored, spec).filter((r) => !candidate.drop?.(r));
      const summary: SweepSummary = summarizeSweep(spec, results);
      outcomes[candidate.name] = {
        ...difference(todayJson, today, summary, results.length),
        brunet: brunetRank(summary, spec),
      };
    }
    line.candidates = outcomes;
    console.log(JSON.stringify(line));
  }
}

/**
 * The rank Brunet et al.'s cophenetic rule gives on these criteria (what the sweep recommends when
 * BIC does not apply, as on overdispersed counts such as the sparse bench set), or null.
 */
function brunetRank(summary: SweepSummary, spec: SweepSpec): number | null {
  // Without the baseline too: with it, a sweep without folds is decided by `baseline-agreement`.
  const ranks = summary.ranks.map((r) => ({ ...r, bic: null, baseline: null }));
  return recommendRank(ranks, { fromRank: spec.fromRank, toRank: spec.toRank }).rank;
}

function round(x: number | null): number | null {
  return x === null ? null : Number(x.toFixed(4));
}
function sci(x: number): string {
  return x.toExponential(2);
}

/** How a candidate's summary differs from today's: rank, criterion, every ranks.json field, reasoning. */
function difference(
  todayJson: ReturnType<typeof toRanksJson>,
  today: SweepSummary,
  candidate: SweepSummary,
  fits: number,
): Record<string, unknown> {
  const json = toRanksJson(candidate);
  const fields: string[] = [];
  const maxDelta: Record<string, number> = {};
  json.ranks.forEach((r, i) => {
    const t = todayJson.ranks[i] as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(r)) {
      if (JSON.stringify(value) !== JSON.stringify(t[key])) {
        fields.push(`k${r.rank}.${key}`);
        if (typeof value === 'number' && typeof t[key] === 'number')
          maxDelta[key] = Math.max(maxDelta[key] ?? 0, Math.abs(value - (t[key] as number)));
      }
    }
    const tb = today.ranks[i].baseline;
    const cb = candidate.ranks[i].baseline;
    for (const key of ['loss', 'cophenetic', 'stability'] as const) {
      const a = tb?.[key] ?? null;
      const b = cb?.[key] ?? null;
      if (a !== b) {
        fields.push(`k${r.rank}.baseline.${key}`);
        const name = `baseline.${key}${key === 'loss' ? ' (relative)' : ''}`;
        if (a !== null && b !== null)
          maxDelta[name] = Math.max(
            maxDelta[name] ?? 0,
            key === 'loss' ? Math.abs(b - a) / a : Math.abs(b - a),
          );
      }
    }
  });
  const reasoningSame =
    JSON.stringify(today.recommendation.reasoning) === JSON.stringify(candidate.recommendation.reasoning);
  return {
    fits,
    recommended: candidate.recommendation.rank,
    criterion: candidate.recommendation.criterion,
    warnings: json.warnings.map((w) => w.code),
    changed: fields.length,
    maxDelta: Object.fromEntries(Object.entries(maxDelta).map(([k, v]) => [k, sci(v)])),
    reasoning: reasoningSame ? 'same' : candidate.recommendation.reasoning,
  };
}

const candidates: Candidate[] = [
  // (d) what is implemented: the baseline's loss from its consensus fits, no baseline replicates.
  { name: 'baseline without replicates', spec: (s) => ({ ...s, baselineReplicates: 0 }) },
  // (a) and (d) together: five baseline fits instead of ten.
  {
    name: 'baseline 5 consensus fits only',
    spec: (s) => ({ ...s, baselineReplicates: 0 }),
    drop: (r) => r.baseline && r.kind === 'consensus' && r.index >= 5,
  },
  // (a) fewer baseline replicates: 3 of 10.
  {
    name: 'baseline 3 replicates',
    spec: (s) => ({ ...s, baselineReplicates: 3 }),
  },
  // (b) the baseline's consensus and stability from its warm-started replicates.
  {
    name: 'baseline consensus from its replicates',
    spec: (s) => s,
    drop: (r) => r.baseline && r.kind === 'consensus',
  },
  // (c) no consensus fits at all (what a tighter budget would choose).
  { name: 'no consensus fits', spec: (s) => ({ ...s, consensusReplicates: 0 }) },
];

if (mode === 'run') run();
else if (mode === 'compare') compare(candidates);
else throw new Error('mode: run or compare');
