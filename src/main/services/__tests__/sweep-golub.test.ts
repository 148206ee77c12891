import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  planSweep,
  runSweepJob,
  summarizeSweep,
  type SweepSpec,
} from '../../../shared/analysis';
import { readImportFile } from '../datasets';

/**
 * The Golub leukaemia data (5000 genes × 38 samples; ALL B-cell, ALL T-cell, AML), the classic
 * test of consensus NMF (Brunet et al. 2004). Consensus over 20 independent random starts without
 * warm-up, ranks 2..5 (no folds: the full sweep with cross-validation, which recommends 3, runs
 * through the command line and takes minutes). Warm-started replicates gave cophenetic,
 * dispersion and stability 1.000 at every k; independent starts must not, and the k = 3 consensus
 * clusters must recover the three known classes.
 */
const fixture = join(__dirname, '..', '..', '..', '..', 'e2e', 'fixtures', 'golub');

describe('consensus on the Golub data', () => {
  it(
    'is not flat across k = 2..5 and its k = 3 clusters match the known classes',
    { timeout: 600_000 },
    async () => {
      const imported = await readImportFile(join(fixture, 'golub.tsv.gz'), {
        transpose: false,
        header: true,
        rowNames: true,
        transform: 'none',
      });
      const classes = new Map(
        readFileSync(join(fixture, 'golub.samples.tsv'), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split('\t'))
          .map((fields) => [fields[0], fields[3]] as const),
      );
      const names = [...new Set(classes.values())];
      const subtype = imported.colNames.map((sample) => names.indexOf(classes.get(sample)!));
      const spec: SweepSpec = {
        fromRank: 2,
        toRank: 5,
        replicates: 1,
        cvFolds: 0,
        baseline: false,
        consensusReplicates: 20,
        fit: { beta: 1, tol: 1e-5, maxIter: 2000, seed: 0, warmup: 200 },
      };
      const summary = summarizeSweep(
        spec,
        planSweep(spec).map((job) => runSweepJob(imported.matrix, job)),
      );
      const cophenetic = summary.ranks.map((r) => r.cophenetic!);
      const dispersion = summary.ranks.map((r) => r.dispersion!);
      console.log(
        'Golub consensus',
        JSON.stringify({ cophenetic, dispersion, stability: summary.ranks.map((r) => r.stability) }),
      );
      expect(Math.min(...cophenetic)).toBeLessThan(0.995);
      expect(Math.min(...dispersion)).toBeLessThan(0.95);
      expect(summary.ranks.every((r) => r.consensusFits === 20 && r.consensusFromIndependentStarts)).toBe(
        true,
      );
      const k3 = summary.ranks.find((r) => r.rank === 3)!;
      expect(adjustedRandIndex(subtype, k3.sampleClusters)).toBeGreaterThan(0.8);
      // Integer-valued, but intensities: far more variable than Poisson counts, so BIC is not used.
      expect(summary.recommendation.warnings.map((w) => w.code)).toContain('overdispersed');
      expect(summary.recommendation.criterion).not.toBe('bic');
    },
  );
});
