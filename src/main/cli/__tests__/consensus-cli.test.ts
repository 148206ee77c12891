import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, readTsv } from './in-process';
import { folderWithPlanted } from './planted';

/** `nmf-studio project` and `nmf-studio consensus`, run in-process against a temporary library. */
let dir: string;
let db: string;

/** Columns `keep(j)` of a TSV table (the first column, the names, always kept). */
function columnsOf(table: string[][], keep: (j: number) => boolean): string {
  return table.map((row) => row.filter((_, c) => c === 0 || keep(c - 1)).join('\t')).join('\n') + '\n';
}

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-cli-consensus-', { features: 80, samples: 40, rank: 3, seed: 6 });
  db = join(dir, 'library.sqlite');
  const V = readTsv(join(dir, 'syn', 'V.tsv'));
  writeFileSync(
    join(dir, 'train.tsv'),
    columnsOf(V, (j) => j % 2 === 0),
  );
  writeFileSync(
    join(dir, 'test.tsv'),
    columnsOf(V, (j) => j % 2 === 1),
  );
  // The held-out half with its genes in reverse order and half of them gone.
  const reordered = [
    V[0],
    ...V.slice(1)
      .reverse()
      .filter((_, i) => i % 2 === 0),
  ];
  writeFileSync(
    join(dir, 'test-partial.tsv'),
    columnsOf(reordered, (j) => j % 2 === 1),
  );
  writeFileSync(join(dir, 'foreign.tsv'), 'feature\ts1\ts2\nx1\t1\t2\nx2\t3\t4\n');
  const fit = await cli('fit', join(dir, 'train.tsv'), '--rank', '3', '--db', db, '--out', join(dir, 'fit'));
  expect(fit.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nmf-studio project', () => {
  it('writes H.tsv (K × new samples) and run.json, and stores the projection linked to the run', async () => {
    const result = await cli(
      'project',
      join(dir, 'fit'),
      join(dir, 'test.tsv'),
      '--db',
      db,
      '--out',
      join(dir, 'proj'),
    );
    expect(result.stderr).toContain("project: 80 of the run's 80 features matched; 0 missing");
    expect(result.code).toBe(0);
    const H = readTsv(join(dir, 'proj', 'H.tsv'));
    expect(H.length).toBe(4);
    expect(H[0]).toEqual(['component', ...Array.from({ length: 20 }, (_, j) => `cond${2 * j + 2}`)]);
    expect(H.map((row) => row[0])).toEqual(['component', 'c1', 'c2', 'c3']);
    const json = JSON.parse(readFileSync(join(dir, 'proj', 'run.json'), 'utf8'));
    expect(json).toMatchObject({
      loss_name: 'kl',
      matched_features: 80,
      missing_features: [],
      dropped_features: [],
    });
    expect(typeof json.loss).toBe('number');
    expect(typeof json.iterations).toBe('number');
    expect(typeof json.converged).toBe('boolean');
    expect(json.projection_id).toBeGreaterThan(0);
    const runJson = JSON.parse(readFileSync(join(dir, 'fit', 'run.json'), 'utf8'));
    expect(json.run_id).toBe(runJson.run_id);
    expect(JSON.parse(result.stdout)).toEqual({
      projection: json.projection_id,
      matched: 80,
      missing: 0,
      dropped: 0,
    });
  });

  it('matches features by name, reporting how many matched and dropped, by run id too', async () => {
    const runId = JSON.parse(readFileSync(join(dir, 'fit', 'run.json'), 'utf8')).run_id;
    const result = await cli(
      'project',
      String(runId),
      join(dir, 'test-partial.tsv'),
      '--db',
      db,
      '--out',
      join(dir, 'proj2'),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("project: 40 of the run's 80 features matched; 40 missing");
    const json = JSON.parse(readFileSync(join(dir, 'proj2', 'run.json'), 'utf8'));
    expect(json.matched_features).toBe(40);
    expect(json.missing_features).toHaveLength(40);
  });

  it('refuses too few matching features with exit 2, naming them, and stores nothing', async () => {
    const result = await cli(
      'project',
      join(dir, 'fit'),
      join(dir, 'foreign.tsv'),
      '--db',
      db,
      '--out',
      join(dir, 'proj3'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^nmf-studio: only 0 of the run's 80 features are in the new matrix \(at least 40 needed\); missing: gene1, gene2, .*; the new matrix has instead: x1, x2\n$/,
    );
    expect(existsSync(join(dir, 'proj3'))).toBe(false);
    const datasets = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout) as Array<{
      name: string;
    }>;
    expect(datasets.map((d) => d.name)).not.toContain('foreign');
  });
});

describe('nmf-studio consensus', () => {
  it('writes W.tsv, H.tsv, run.json and consensus.json for one rank, stored as a run', async () => {
    const out = join(dir, 'cons');
    const result = await cli(
      'consensus',
      join(dir, 'syn', 'V.tsv'),
      '--rank',
      '3',
      '--replicates',
      '8',
      '--max-iter',
      '150',
      '--db',
      db,
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readTsv(join(out, 'W.tsv')).length).toBe(81);
    expect(readTsv(join(out, 'H.tsv')).length).toBe(4);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.provenance.consensus).toMatchObject({ rank: 3, replicates: 8, threshold: 0.5 });
    const consensus = JSON.parse(readFileSync(join(out, 'consensus.json'), 'utf8'));
    expect(consensus).toMatchObject({
      rank: 3,
      replicates: 8,
      threshold: 0.5,
      neighbours: 2,
      run_id: run.run_id,
    });
    expect(consensus.density).toHaveLength(24);
    expect(consensus.kept_columns.length + consensus.dropped_columns.length).toBe(24);
    expect(consensus.silhouette).toBeGreaterThan(0.5);
    expect(run.params.init).toBe('random');
  });

  it('over a range of ranks writes k<rank>/ folders and the stability/error table', async () => {
    const out = join(dir, 'cons-range');
    const result = await cli(
      'consensus',
      join(dir, 'syn', 'V.tsv'),
      '--ranks',
      '2..4',
      '--replicates',
      '6',
      '--max-iter',
      '150',
      '--db',
      db,
      '--out',
      out,
    );
    expect(result.code).toBe(0);
    const table = JSON.parse(readFileSync(join(out, 'ranks.json'), 'utf8'));
    expect(table.ranks.map((r: { rank: number }) => r.rank)).toEqual([2, 3, 4]);
    for (const r of table.ranks) {
      expect(typeof r.silhouette).toBe('number');
      expect(r.error).toBeGreaterThan(0);
      expect(existsSync(join(out, `k${r.rank}`, 'consensus.json'))).toBe(true);
    }
  });

  it('refuses --rank with --ranks, and a dataset id that does not exist', async () => {
    const both = await cli(
      'consensus',
      join(dir, 'syn', 'V.tsv'),
      '--rank',
      '3',
      '--ranks',
      '2..4',
      '--out',
      join(dir, 'x'),
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('nmf-studio: consensus takes either --rank K or --ranks A..B\n');
    const missing = await cli('consensus', '999', '--rank', '3', '--db', db, '--out', join(dir, 'x'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('nmf-studio: dataset 999 does not exist\n');
  });

  it('plans a library dataset as a cluster job folder with --plan slurm; cluster flags need --plan', async () => {
    const job = join(dir, 'consensus-job');
    const planned = await cli(
      'consensus',
      '1',
      '--ranks',
      '2..3',
      '--replicates',
      '3',
      '--plan',
      'slurm',
      '--tasks',
      '4',
      '--db',
      db,
      '--out',
      job,
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ fits: 6, tasks: 4 });
    const plan = JSON.parse(readFileSync(join(job, 'plan.json'), 'utf8')) as {
      kind: string;
      data: { name: string };
    };
    expect(plan.kind).toBe('consensus');
    expect(existsSync(join(job, 'consensus.sbatch'))).toBe(true);
    expect(readFileSync(join(job, 'consensus.sbatch'), 'utf8')).toContain('#SBATCH --array=0-3');
    const missing = await cli(
      'consensus',
      '999',
      '--rank',
      '3',
      '--plan',
      'slurm',
      '--db',
      db,
      '--out',
      join(dir, 'y'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('nmf-studio: dataset 999 does not exist\n');
    const flags = await cli(
      'consensus',
      '1',
      '--rank',
      '3',
      '--tasks',
      '2',
      '--db',
      db,
      '--out',
      join(dir, 'z'),
    );
    expect(flags.code).toBe(2);
    expect(flags.stderr).toBe('nmf-studio: --tasks goes with --plan slurm\n');
  });
});
