/**
 * What R NMF's rank-survey measures (src/shared/analysis/survey.ts) cost beside a fit, on a bench
 * set: a short KL fit at rank k gives realistic factors; then rss/evar (CSR: the trace formula),
 * the two sparsenesses, the sample and feature silhouettes (over every point) and the consensus
 * silhouette on the consensus's subsample
 * (labelings of `fits` fits with a different seed each), each timed as the median of `rounds`.
 *
 *   node --import tsx scripts/measure/survey-cost.ts /work/bench17 sparse [--k 6] [--iterations 30]
 */
import { parseArgs } from 'node:util';
import { readSet } from '../bench/data';
import { fitNmf } from '../../src/shared/nmf';
import { analyzeConsensus, sampleLabels } from '../../src/shared/analysis/consensus';
import { pearsonDispersion } from '../../src/shared/analysis/count-model';
import {
  consensusSilhouette,
  correlationSilhouette,
  fitSurvey,
  residualSums,
  sparseness,
} from '../../src/shared/analysis/survey';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    k: { type: 'string', default: '6' },
    iterations: { type: 'string', default: '30' },
    fits: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
  },
});
const [dir, name] = positionals;
const k = Number(values.k);
const rounds = Number(values.rounds);
const { V } = readSet(dir, name);
const stored = V.kind === 'csr' ? V.indptr[V.rows] : V.rows * V.cols;
console.log(`${name}: ${V.rows} × ${V.cols}, ${V.kind}, ${stored} stored entries, k = ${k}`);

function median(seconds: number[]): number {
  const sorted = [...seconds].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function time<T>(label: string, run: () => T): T {
  let result!: T;
  const seconds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    result = run();
    seconds.push((performance.now() - start) / 1000);
  }
  console.log(`${label.padEnd(44)} ${(median(seconds) * 1000).toFixed(1).padStart(8)} ms`);
  return result;
}

const fits = Array.from({ length: Number(values.fits) }, (_, seed) => {
  const start = performance.now();
  const fit = fitNmf(V, {
    rank: k,
    beta: 1,
    maxIter: Number(values.iterations),
    tol: 0,
    seed,
    loglik: false,
  });
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `fit seed ${seed}: ${fit.iterations} iterations, ${seconds.toFixed(1)} s (${((1000 * seconds) / fit.iterations).toFixed(0)} ms per iteration)`,
  );
  return fit;
});
const { W, H } = fits[0];
time('pearsonDispersion (for comparison)', () => pearsonDispersion(V, W, H));
time('rss and Σ V² (residualSums)', () => residualSums(V, W, H));
time('sparseness of W and of H', () => [sparseness(W), sparseness(H)]);
const Ht = new Float64Array(H.cols * k);
for (let a = 0; a < k; a++) for (let j = 0; j < H.cols; j++) Ht[j * k + a] = H.data[a * H.cols + j];
time(`silhouette of the ${H.cols} samples`, () => correlationSilhouette(Ht, k));
time(`silhouette of the ${W.rows} features`, () => correlationSilhouette(W.data, k));
const survey = time('fitSurvey (all of the above + silhouettes)', () => fitSurvey(V, W, H));
console.log(JSON.stringify(survey));
const consensus = analyzeConsensus(
  fits.map((fit) => sampleLabels(fit.W, fit.H)),
  k,
);
const { subsample } = consensus;
const clusters =
  subsample === null ? consensus.sampleClusters : subsample.map((j) => consensus.sampleClusters[j]);
const width = time('consensusSilhouette (consensus subsample)', () =>
  consensusSilhouette(consensus.consensus, clusters),
);
console.log(`silhouette.consensus ${width} on ${clusters.length} samples`);
