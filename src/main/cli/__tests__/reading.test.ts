import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Group } from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { cli } from './in-process';

/**
 * annotate, markers, enrich and runs show's classes, run in-process against a temporary library,
 * on planted data: 3 sample classes, each with its own gene module, plus 3 highly expressed genes
 * present in every sample.
 */
let dir: string;
let db: string;
let datasetId: number;
let k3Run: number;

const classes = ['AML', 'B', 'T'];
const samples = Array.from({ length: 30 }, (_, j) => `s${j + 1}`);
const classOf = (j: number): number => j % 3;
const genes = Array.from({ length: 63 }, (_, i) => (i < 3 ? `HOUSE${i + 1}` : `M${(i - 3) % 3}_G${i}`));
const moduleOf = (i: number): number => (i < 3 ? -1 : (i - 3) % 3);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-reading-'));
  db = join(dir, 'library.sqlite');
  const rng = new Rng(11);
  const lines = ['gene\t' + samples.join('\t')];
  genes.forEach((gene, i) => {
    const row = samples.map((_, j) => {
      const mean = moduleOf(i) === -1 ? 200 : moduleOf(i) === classOf(j) ? 30 : 1;
      return rng.poisson(mean);
    });
    lines.push(`${gene}\t${row.join('\t')}`);
  });
  writeFileSync(join(dir, 'V.tsv'), lines.join('\n') + '\n');
  writeFileSync(
    join(dir, 'samples.tsv'),
    'sample\tclass\tdepth\n' +
      samples.map((s, j) => `${s}\t${classes[classOf(j)]}\t${j * 1.5}`).join('\n') +
      '\n',
  );
  const imported = await cli('import', join(dir, 'V.tsv'), '--db', db);
  expect(imported.code).toBe(0);
  datasetId = JSON.parse(imported.stdout).dataset;
  const sweep = await cli(
    'sweep',
    join(dir, 'V.tsv'),
    '--ranks',
    '2..3',
    '--replicates',
    '3',
    '--cv-folds',
    '2',
    '--max-iter',
    '300',
    '--db',
    db,
    '--out',
    join(dir, 'sweep'),
  );
  expect(sweep.code, sweep.stderr).toBe(0);
  const ranks = JSON.parse(readFileSync(join(dir, 'sweep', 'ranks.json'), 'utf8'));
  k3Run = ranks.ranks.find((r: { rank: number }) => r.rank === 3).run_id;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('annotate', () => {
  it('prints the columns found, categorical and numeric', async () => {
    const result = await cli(
      'annotate',
      String(datasetId),
      '--samples',
      join(dir, 'samples.tsv'),
      '--db',
      db,
    );
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.dataset).toBe(datasetId);
    expect(out.key).toBe('sample');
    expect(out.columns).toEqual([
      { name: 'class', kind: 'categorical', levels: ['AML', 'B', 'T'], missing: 0 },
      { name: 'depth', kind: 'numeric', missing: 0 },
    ]);
  });

  it('refuses names that do not match, listing them, and stores nothing', async () => {
    writeFileSync(
      join(dir, 'bad.tsv'),
      'sample\tclass\n' + samples.map((s) => `${s === 's4' ? 'S4' : s}\tx`).join('\n') + '\n',
    );
    const result = await cli('annotate', String(datasetId), '--samples', join(dir, 'bad.tsv'), '--db', db);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('1 name(s) in the file are not samples of the dataset: "S4"');
    expect(result.stderr).toContain('1 sample(s) of the dataset are missing from the file: "s4"');
    const features = await cli(
      'annotate',
      String(datasetId),
      '--features',
      join(dir, 'samples.tsv'),
      '--db',
      db,
    );
    expect(features.code).toBe(2);
    expect(features.stderr).toContain('are not features of the dataset');
  });
});

describe('runs show classes', () => {
  it('gives the ARI and purity of the consensus clusters against each categorical column', async () => {
    const result = await cli('runs', 'show', String(k3Run), '--db', db);
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(Object.keys(run.classes)).toEqual(['class']);
    expect(run.classes.class.ari).toBeCloseTo(1, 12);
    expect(run.classes.class.purity).toBe(1);
    expect(run.classes.class.clusters_from).toBe('consensus');
  });
});

describe('markers', () => {
  for (const method of ['kim-park', 'zscore']) {
    it(`${method}: every component's top markers are one module's genes, never the shared high-expression genes`, async () => {
      const result = await cli('markers', String(k3Run), '--top', '8', '--method', method, '--db', db);
      expect(result.code, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out.components.map((c: { component: string }) => c.component)).toEqual(['c1', 'c2', 'c3']);
      const modules = new Set<number>();
      for (const c of out.components) {
        expect(c.features).toHaveLength(8);
        const found = new Set(c.features.map((f: { feature: string }) => moduleOf(genes.indexOf(f.feature))));
        expect([...found]).toHaveLength(1);
        expect(found.has(-1)).toBe(false);
        modules.add([...found][0] as number);
      }
      expect(modules.size).toBe(3);
    });
  }

  it('reads a run folder too, and refuses z-scores without the data', async () => {
    const fromFolder = await cli('markers', join(dir, 'sweep', 'k3'), '--top', '3');
    expect(fromFolder.code, fromFolder.stderr).toBe(0);
    const fromLibrary = await cli('markers', String(k3Run), '--top', '3', '--db', db);
    expect(JSON.parse(fromFolder.stdout).components).toEqual(JSON.parse(fromLibrary.stdout).components);
    const z = await cli('markers', join(dir, 'sweep', 'k3'), '--method', 'zscore');
    expect(z.code).toBe(2);
    expect(z.stderr).toContain('--method zscore needs the data');
  });
});

describe('enrich', () => {
  it('finds each component’s module set first, sorted by q, with its overlap genes', async () => {
    const gmt = [0, 1, 2]
      .map((m) => `MODULE_${m}\tna\t${genes.filter((_, i) => moduleOf(i) === m).join('\t')}`)
      .concat(['HOUSEKEEPING\tna\tHOUSE1\tHOUSE2\tHOUSE3\tNOT_A_GENE'])
      .join('\n');
    writeFileSync(join(dir, 'sets.gmt'), gmt + '\n');
    const result = await cli(
      'enrich',
      String(k3Run),
      '--gmt',
      join(dir, 'sets.gmt'),
      '--top',
      '10',
      '--db',
      db,
    );
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.universe).toBe(63);
    expect(out.sets_tested).toBe(4);
    const firsts = new Set<string>();
    for (const c of out.components) {
      const first = c.sets[0];
      expect(first.name).toMatch(/^MODULE_/);
      expect(first.size).toBe(20);
      expect(first.overlap).toBe(c.markers);
      expect(first.q).toBeLessThan(1e-3);
      expect(first.genes).toHaveLength(first.overlap);
      const qs = c.sets.map((s: { q: number }) => s.q);
      expect(qs).toEqual([...qs].sort((a, b) => a - b));
      firsts.add(first.name);
    }
    expect(firsts.size).toBe(3);
  });

  it('refuses a bad GMT line with its number', async () => {
    writeFileSync(join(dir, 'bad.gmt'), 'A\tna\tM0_G3\nB\tna\n');
    const result = await cli('enrich', String(k3Run), '--gmt', join(dir, 'bad.gmt'), '--db', db);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.gmt line 2: a GMT line needs a set name');
  });
});

describe('annotate from an .h5ad', () => {
  it('reads obs for the samples and var for the features, categorical and numeric', async () => {
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const file = join(dir, 'cells.h5ad');
    copyFileSync(join(__dirname, '..', '..', 'io', '__tests__', 'fixtures', 'dense.h5ad'), file);
    const f = new h5.File(file, 'a');
    const obs = f.get('obs') as Group;
    const cellType = obs.create_group('cell_type');
    cellType.create_dataset({ name: 'codes', data: new Int8Array([1, 0, -1]) });
    cellType.create_dataset({ name: 'categories', data: ['B', 'T'] });
    f.close();
    const imported = await cli('import', file, '--db', db);
    expect(imported.code, imported.stderr).toBe(0);
    const id = String(JSON.parse(imported.stdout).dataset);
    const samples = await cli('annotate', id, '--samples', file, '--db', db);
    expect(samples.code, samples.stderr).toBe(0);
    expect(JSON.parse(samples.stdout).columns).toEqual([
      { name: 'n_counts', kind: 'numeric', missing: 0 },
      { name: 'cell_type', kind: 'categorical', levels: ['T', 'B'], missing: 1 },
    ]);
    const features = await cli('annotate', id, '--features', file, '--db', db);
    expect(features.code, features.stderr).toBe(0);
    expect(JSON.parse(features.stdout).key).toBe('var_names');
  });
});
