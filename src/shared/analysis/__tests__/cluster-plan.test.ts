import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import {
  CLUSTER_PLAN_FORMAT,
  CLUSTER_PLAN_VERSION,
  CLUSTER_RESULT_FORMAT,
  arrayRanges,
  checkResults,
  planFits,
  resultFileName,
  slurmTimeLimit,
  splitByCost,
  type ClusterPlan,
  type ClusterResult,
} from '../cluster-plan';
import { Rng } from '../../linalg/random';
import { planSweep } from '../sweep';
import type { SweepJob, SweepJobResult } from '../types';

describe('splitByCost', () => {
  it('puts every fit in exactly one task, over several seeds and task counts', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed);
      const costs = Array.from({ length: 37 }, () => 1 + Math.floor(rng.nextUint32() % 1000));
      for (const tasks of [1, 2, 4, 7, 37, 50]) {
        const assignment = splitByCost(costs, tasks);
        expect(assignment).toHaveLength(costs.length);
        for (const task of assignment) {
          expect(Number.isInteger(task)).toBe(true);
          expect(task).toBeGreaterThanOrEqual(0);
          expect(task).toBeLessThan(tasks);
        }
        // Balanced: the heaviest task is within 4/3 of the ideal (Graham's bound for LPT) and never
        // exceeds the ideal by more than the largest single fit.
        const load = new Array<number>(tasks).fill(0);
        assignment.forEach((task, i) => (load[task] += costs[i]));
        const total = costs.reduce((s, c) => s + c, 0);
        const ideal = Math.max(total / tasks, Math.max(...costs));
        expect(Math.max(...load)).toBeLessThanOrEqual((4 / 3) * ideal + 1e-9);
        expect(Math.max(...load)).toBeLessThanOrEqual(total / tasks + Math.max(...costs));
      }
    }
  });

  it('balances better than dealing in plan order when costs grow with the rank', () => {
    // A sweep's costs rise with k: dealing round-robin puts the heavy tail unevenly.
    const costs = Array.from({ length: 24 }, (_, i) => (2 + Math.floor(i / 4)) ** 2);
    const lpt = splitByCost(costs, 5);
    const loadOf = (assignment: number[]): number => {
      const load = new Array<number>(5).fill(0);
      assignment.forEach((task, i) => (load[task] += costs[i]));
      return Math.max(...load);
    };
    const roundRobin = costs.map((_, i) => i % 5);
    expect(loadOf(lpt)).toBeLessThan(loadOf(roundRobin));
  });

  it('is reproducible and refuses bad input', () => {
    const costs = [5, 3, 3, 9, 1, 1, 7];
    expect(splitByCost(costs, 3)).toEqual(splitByCost(costs, 3));
    expect(() => splitByCost(costs, 0)).toThrow(/tasks/);
    expect(() => splitByCost([1, Number.NaN], 2)).toThrow(/fit 1/);
    expect(() => splitByCost([1, -1], 2)).toThrow(/fit 1/);
  });
});

describe('planFits', () => {
  const jobs = planSweep({
    fromRank: 2,
    toRank: 5,
    replicates: 3,
    cvFolds: 3,
    baseline: true,
    fit: { seed: 4 },
  });
  const costs = jobs.map((job) => job.rank * 100);

  it('keeps every job verbatim, each once, with a unique result file', () => {
    const fits = planFits(jobs, costs, 4);
    expect(fits.map((f) => f.id)).toEqual(jobs.map((j) => j.id));
    expect(new Set(fits.map((f) => f.file)).size).toBe(jobs.length);
    fits.forEach((fit, i) => expect(fit.job).toBe(jobs[i]));
    expect(new Set(fits.map((f) => f.task))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('uses no more tasks than there are fits', () => {
    const two = jobs.slice(0, 2);
    expect(new Set(planFits(two, [1, 1], 10).map((f) => f.task))).toEqual(new Set([0, 1]));
  });

  it('names result files by job id without path separators', () => {
    expect(resultFileName('baseline/k12/fold/3')).toBe('baseline.k12.fold.3.result');
    expect(resultFileName('k5/replicate/2')).not.toContain('/');
  });
});

describe('arrayRanges and time limits', () => {
  it('writes task lists as SLURM --array ranges', () => {
    expect(arrayRanges([0, 2, 3, 4, 7])).toBe('0,2-4,7');
    expect(arrayRanges([3])).toBe('3');
    expect(arrayRanges([5, 4, 4, 6])).toBe('4-6');
  });

  it('adds a safety margin and formats D-HH:MM:SS', () => {
    expect(slurmTimeLimit(1)).toBe('00:15:00');
    expect(slurmTimeLimit(3600)).toBe('05:10:00');
    expect(slurmTimeLimit(86400)).toBe('5-00:10:00');
  });
});

describe('checkResults', () => {
  const jobs: SweepJob[] = planSweep({ fromRank: 2, toRank: 3, replicates: 2, cvFolds: 2, baseline: false });
  const fits = planFits(
    jobs,
    jobs.map(() => 1),
    2,
  );
  const plan: ClusterPlan = {
    format: CLUSTER_PLAN_FORMAT,
    version: CLUSTER_PLAN_VERSION,
    kind: 'sweep',
    planId: 'abcdef0123456789',
    createdAt: '2026-01-01T00:00:00.000Z',
    appVersion: 'test',
    engineVersion: 'test',
    params: {},
    data: { file: 'data.nmf', hash: 'a'.repeat(64), rows: 6, cols: 4, layout: 'dense', nnz: 24, name: 'V' },
    tasks: 2,
    resources: { partition: null, time: '00:15:00', memMiB: 100, cpus: 1, basis: '' },
    fits,
  };

  function resultOf(job: SweepJob): ClusterResult {
    const keep = job.keepFactors;
    const result: SweepJobResult = {
      jobId: job.id,
      rank: job.rank,
      kind: job.kind,
      index: job.index,
      baseline: job.baseline,
      seed: 0,
      rows: 6,
      cols: 4,
      loss: 1,
      loglik: null,
      iterations: 1,
      converged: true,
      seconds: 0,
      observed: 24,
      heldOutError: null,
      heldOutCount: 0,
      sampleLabels: null,
      normalizedW: null,
      factors: keep ? { W: dense(6, job.rank), H: dense(job.rank, 4), trace: [] } : null,
      warnings: [],
    };
    return {
      format: CLUSTER_RESULT_FORMAT,
      version: 1,
      planId: plan.planId,
      dataHash: plan.data.hash,
      fitId: job.id,
      stamp: { task: 0, host: 'h', startedAt: '', finishedAt: '', scheduler: {} },
      result,
    };
  }

  it('accepts a complete, consistent set', () => {
    const found = new Map(jobs.map((job) => [job.id, resultOf(job)]));
    expect(checkResults(plan, found)).toEqual({ missing: [], tasksToRerun: [], problems: [] });
  });

  it('lists missing fits and the tasks that own them', () => {
    const found = new Map(jobs.slice(1).map((job) => [job.id, resultOf(job)]));
    const check = checkResults(plan, found);
    expect(check.missing).toEqual([jobs[0].id]);
    expect(check.tasksToRerun).toEqual([fits[0].task]);
  });

  it('refuses results of other data, another plan, another fit or the wrong shape', () => {
    const base = (): Map<string, ClusterResult | Error> =>
      new Map(jobs.map((job) => [job.id, resultOf(job)]));
    const cases: Array<[string, (r: ClusterResult) => void]> = [
      ['other data', (r) => (r.dataHash = 'b'.repeat(64))],
      ['another plan', (r) => (r.planId = '0000000000000000')],
      ['expected', (r) => (r.result.jobId = 'k9/replicate/0')],
      ["the plan's data is 6 × 4", (r) => (r.result.cols = 5)],
      ['W is', (r) => ((r.result as SweepJobResult).factors = { W: dense(6, 7), H: dense(2, 4), trace: [] })],
    ];
    const replicate = jobs.find((j) => j.keepFactors)!;
    for (const [message, spoil] of cases) {
      const found = base();
      const entry = resultOf(replicate);
      spoil(entry);
      found.set(replicate.id, entry);
      const check = checkResults(plan, found);
      expect(check.problems).toHaveLength(1);
      expect(check.problems[0].fit).toBe(replicate.id);
      expect(check.problems[0].problem).toContain(message);
    }
    const unreadable = base();
    unreadable.set(replicate.id, new Error('unreadable: truncated'));
    expect(checkResults(plan, unreadable).problems[0].problem).toContain('truncated');
  });
});
