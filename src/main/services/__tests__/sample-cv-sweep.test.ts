import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../shared/analysis/cluster-plan';
import { cli } from '../../cli/__tests__/in-process';
import {
  folderWithPlanted,
  planJobFolder,
  shortSweepOptions as sweepOptions,
  smallPlanted,
  expectSameBytes,
  mergeInto,
  sweepInto,
} from '../../cli/__tests__/planted';

/**
 * Sample-wise cross-validation through the command line: additive fields in ranks.json (the rest
 * byte-identical to a sweep without it), and a planned (SLURM) sweep whose sample-fold jobs
 * round-trip through plan.json, the tasks and the merge to the local sweep's bytes.
 */

let dir: string;
beforeAll(async () => {
  dir = await folderWithPlanted('nmf-sample-cv-', smallPlanted);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sweep(name: string, ...extra: string[]): Promise<{ code: number; stderr: string }> {
  return sweepInto(dir, name, [...sweepOptions, ...extra]);
}

const sampleKeys = [
  'sample_cv_error',
  'sample_cv_se',
  'sample_cv_errors',
  'sample_cv_paired_difference',
  'sample_cv_paired_se',
];

describe('sweep --sample-folds', () => {
  it('adds the sample-wise fields and a reasoning line; every other byte is the sweep without it', async () => {
    const plain = await sweep('plain');
    expect(plain.code, plain.stderr).toBe(0);
    const withFolds = await sweep('folds', '--sample-folds', '3');
    expect(withFolds.code, withFolds.stderr).toBe(0);
    const before = readFileSync(join(dir, 'plain', 'ranks.json'), 'utf8');
    const after = JSON.parse(readFileSync(join(dir, 'folds', 'ranks.json'), 'utf8')) as {
      ranks: Array<Record<string, unknown>>;
      reasoning: string[];
    };
    for (const rank of after.ranks) {
      expect(rank.sample_cv_errors).toHaveLength(3);
      expect(rank.sample_cv_error).toBeGreaterThan(0);
      expect(rank.sample_cv_se).toBeGreaterThan(0);
    }
    expect(JSON.parse(before).ranks[0]).not.toHaveProperty('sample_cv_error');
    const sampleLine = after.reasoning.findIndex((line) => line.startsWith('Sample-wise cross-validation'));
    expect(sampleLine).toBeGreaterThanOrEqual(0);
    // Without the additions, the same file byte for byte: the entry-wise folds, replicates and
    // consensus fits do not change when sample folds are added.
    for (const rank of after.ranks) for (const key of sampleKeys) delete rank[key];
    after.reasoning.splice(sampleLine, 1);
    expect(JSON.stringify(after, null, 2) + '\n').toBe(before);
  });

  it('refuses one sample fold, naming the flag', async () => {
    const r = await sweep('one', '--sample-folds', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sample folds must be 0 (none) or at least 2, got 1');
  });

  it('plans sample-fold jobs for a cluster; tasks and merge give the local sweep byte for byte', async () => {
    const local = await sweep('local', '--sample-folds', '2');
    expect(local.code, local.stderr).toBe(0);
    const job = join(dir, 'job');
    const planned = await planJobFolder(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      [...sweepOptions, '--sample-folds', '2'],
      2,
      job,
    );
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(job, 'plan.json'), 'utf8')) as ClusterPlan;
    const sampleFits = plan.fits.filter((fit) => fit.job.kind === 'sample-fold');
    expect(sampleFits.map((fit) => fit.id).sort()).toEqual([
      'k2/sample-fold/0',
      'k2/sample-fold/1',
      'k3/sample-fold/0',
      'k3/sample-fold/1',
    ]);
    for (let task = 0; task < 2; task++) {
      const r = await cli('sweep-task', job, '--task', String(task));
      expect(r.code, r.stderr).toBe(0);
    }
    const merged = await mergeInto(dir, 'merged', job);
    expect(merged.code, merged.stderr).toBe(0);
    expectSameBytes(['ranks.json', 'k2/W.tsv', 'k3/H.tsv'], join(dir, 'merged'), join(dir, 'local'));
    expect(readFileSync(join(dir, 'merged', 'ranks.json'), 'utf8')).toContain('"sample_cv_error"');
  });
});
