import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, readTsv } from './in-process';
import { folderWithPlanted } from './planted';

/** The command line, run in-process exactly as `nmf-studio …` runs it, against a temporary library. */
let dir: string;
let db: string;

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-cli-', { features: 100, samples: 60, rank: 5, seed: 4 });
  db = join(dir, 'library.sqlite');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nmf-studio', () => {
  it('synth writes V.tsv with names and truth.json with W, H, modules and moonlighting features', () => {
    const V = readTsv(join(dir, 'syn', 'V.tsv'));
    expect(V.length).toBe(101);
    expect(V[0].length).toBe(61);
    expect(V[1][0]).toBe('gene1');
    expect(V.slice(1).every((row) => row.slice(1).every((cell) => /^\d+$/.test(cell)))).toBe(true);
    const truth = JSON.parse(readFileSync(join(dir, 'syn', 'truth.json'), 'utf8'));
    expect(truth.W.length).toBe(100);
    expect(truth.W[0].length).toBe(5);
    expect(truth.H.length).toBe(5);
    expect(truth.module.length).toBe(100);
    expect(truth.moonlighting.length).toBe(5);
    expect(truth.moonlighting[0]).toEqual(
      expect.objectContaining({
        feature: expect.any(String),
        index: expect.any(Number),
        modules: expect.any(Array),
      }),
    );
  });

  it('fit writes W.tsv, H.tsv and run.json as CLI.md lays them out, and saves the run', async () => {
    const out = join(dir, 'fit');
    const result = await cli(
      'fit',
      join(dir, 'syn', 'V.tsv'),
      '--rank',
      '5',
      '--seed',
      '2',
      '--db',
      db,
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const W = readTsv(join(out, 'W.tsv'));
    expect(W[0]).toEqual(['feature', 'c1', 'c2', 'c3', 'c4', 'c5']);
    expect(W[1][0]).toBe('gene1');
    expect(W.length).toBe(101);
    const H = readTsv(join(out, 'H.tsv'));
    expect(H[0][0]).toBe('component');
    expect(H[0].length).toBe(61);
    expect(H.map((row) => row[0]).slice(1)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toEqual(
      expect.objectContaining({
        params: expect.objectContaining({
          rank: 5,
          loss: 'kl',
          solver: 'mu',
          init: 'nndsvda',
          maxIter: 500,
          tol: 1e-4,
          seed: 2,
        }),
        iterations: expect.any(Number),
        converged: expect.any(Boolean),
        loss: expect.any(Number),
        loglik: expect.any(Number),
        seconds: expect.any(Number),
      }),
    );
    expect(run.trace[0]).toEqual([0, expect.any(Number)]);
    expect(run.loglik).toBeLessThan(0);
    const runs = JSON.parse((await cli('runs', 'list', '--db', db)).stdout);
    expect(runs.length).toBe(1);
  });

  it('fit --normalize l2 gives unit W columns and leaves W·H unchanged', async () => {
    const plain = join(dir, 'plain');
    const normalized = join(dir, 'normalized');
    await cli(
      'fit',
      join(dir, 'syn', 'V.tsv'),
      '--rank',
      '3',
      '--max-iter',
      '50',
      '--no-save',
      '--out',
      plain,
    );
    await cli(
      'fit',
      join(dir, 'syn', 'V.tsv'),
      '--rank',
      '3',
      '--max-iter',
      '50',
      '--no-save',
      '--normalize',
      'l2',
      '--out',
      normalized,
    );
    const numbers = (rows: string[][]): number[][] => rows.slice(1).map((r) => r.slice(1).map(Number));
    const [W1, H1, W2, H2] = [
      join(plain, 'W.tsv'),
      join(plain, 'H.tsv'),
      join(normalized, 'W.tsv'),
      join(normalized, 'H.tsv'),
    ].map((p) => numbers(readTsv(p)));
    for (let c = 0; c < 3; c++) expect(Math.hypot(...W2.map((row) => row[c]))).toBeCloseTo(1, 12);
    const product = (W: number[][], H: number[][], i: number, j: number): number =>
      W[i].reduce((s, w, c) => s + w * H[c][j], 0);
    for (const [i, j] of [
      [0, 0],
      [17, 33],
      [99, 59],
    ]) {
      expect(product(W2, H2, i, j)).toBeCloseTo(product(W1, H1, i, j), 8);
    }
  });

  it('refuses bad files with exit 2 and a line naming file, line, column and value, adding nothing', async () => {
    const before = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length;
    const cases: Array<[string, string, RegExp]> = [
      [
        'negative.tsv',
        'gene\ta\tb\ng1\t1\t2\ng2\t3\t-4\n',
        /^nmf-studio: negative\.tsv: line 3, column 3 \(sample "b"\): "-4" is negative/,
      ],
      [
        'text.csv',
        'gene,a,b\ng1,1,2\ng2,oops,4\n',
        /^nmf-studio: text\.csv: line 3, column 2 \(sample "a"\): "oops" is not a number/,
      ],
      [
        'ragged.tsv',
        'gene\ta\tb\ng1\t1\t2\ng2\t3\n',
        /^nmf-studio: ragged\.tsv: line 3 has 2 fields, expected 3/,
      ],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(dir, name), content);
      for (const command of [['import'], ['fit', '--rank', '1', '--out', join(dir, 'never')]]) {
        const [verb, ...rest] = command;
        const result = await cli(verb, join(dir, name), ...rest, '--db', db);
        expect(result.code, `${verb} ${name}`).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n').length).toBe(1);
      }
    }
    expect(JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length).toBe(before);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('lists every bad cell of a refused file, one line each, and adds nothing', async () => {
    const before = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length;
    writeFileSync(join(dir, 'several.csv'), 'gene,S1,S2\ng1,1,abc\ng2,-3,4\ng3,5\n');
    const result = await cli('import', join(dir, 'several.csv'), '--db', db);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      'nmf-studio: several.csv: 3 problems (nothing was imported); the first: line 2, column 3 (sample "S2"): "abc" is not a number',
      '  line 2, column 3 (sample "S2"): "abc" is not a number',
      '  line 3, column 2 (sample "S1"): "-3" is negative (NMF needs non-negative data)',
      '  line 4 has 2 fields, expected 3 (like line 1): column 3 is missing',
      '',
    ]);
    const many = ['gene,a'];
    for (let i = 0; i < 25; i++) many.push(`g${i},x`);
    writeFileSync(join(dir, 'many.csv'), many.join('\n'));
    const cut = await cli('import', join(dir, 'many.csv'), '--db', db);
    const lines = cut.stderr.trim().split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  and 5 more');
    expect(JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length).toBe(before);
  });

  it('refuses impossible settings with exit 2, before storing anything', async () => {
    const before = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length;
    writeFileSync(join(dir, 'small.tsv'), 'gene\ta\tb\ng1\t1\t2\ng2\t3\t4\ng3\t5\t6\n');
    const tooBig = await cli(
      'fit',
      join(dir, 'small.tsv'),
      '--rank',
      '3',
      '--db',
      db,
      '--out',
      join(dir, 'x'),
    );
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toBe('nmf-studio: rank 3 exceeds min(features, samples) = min(3, 2) = 2\n');
    expect((await cli('fit', join(dir, 'small.tsv'), '--rank', 'two', '--out', join(dir, 'x'))).stderr).toBe(
      'nmf-studio: --rank must be a number, got "two"\n',
    );
    expect((await cli('fit', join(dir, 'small.tsv'), '--rank', '1')).stderr).toBe(
      'nmf-studio: --out is required\n',
    );
    expect((await cli('frobnicate')).code).toBe(2);
    expect(JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length).toBe(before);
  });

  it('import prints the dataset and recognises a re-import', async () => {
    const first = JSON.parse((await cli('import', join(dir, 'syn', 'V.tsv'), '--db', db)).stdout);
    expect(first).toEqual({
      dataset: expect.any(Number),
      rows: 100,
      cols: 60,
      nnz: expect.any(Number),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      existing: true,
    });
    const transposed = JSON.parse(
      (await cli('import', join(dir, 'syn', 'V.tsv'), '--transpose', '--db', db)).stdout,
    );
    expect(transposed).toEqual(expect.objectContaining({ rows: 60, cols: 100, existing: false }));
    const shown = JSON.parse((await cli('datasets', 'show', String(transposed.dataset), '--db', db)).stdout);
    expect(shown.rowNames[0]).toBe('cond1');
    expect(
      JSON.parse((await cli('datasets', 'delete', String(transposed.dataset), '--db', db)).stdout),
    ).toEqual({ deleted: 1, runsDeleted: 0 });
    expect((await cli('datasets', 'show', '999', '--db', db)).code).toBe(2);
  });

  it('sweep writes ranks.json with every criterion and a k<rank> folder per rank', async () => {
    const out = join(dir, 'sweep');
    const result = await cli(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      '--ranks',
      '3..6',
      '--replicates',
      '3',
      '--cv-folds',
      '3',
      '--db',
      db,
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ranks = JSON.parse(readFileSync(join(out, 'ranks.json'), 'utf8'));
    expect(ranks.ranks.map((r: { rank: number }) => r.rank)).toEqual([3, 4, 5, 6]);
    for (const r of ranks.ranks) {
      for (const key of ['loss', 'loglik', 'bic', 'cv_error', 'cophenetic', 'dispersion', 'stability'])
        expect(typeof r[key], key).toBe('number');
      expect(r.sample_clusters.length).toBe(60);
      expect(Math.max(...r.sample_clusters)).toBeLessThan(r.rank);
      expect(existsSync(join(out, `k${r.rank}`, 'W.tsv'))).toBe(true);
    }
    expect(ranks.recommended).toBe(5);
    expect(typeof ranks.criterion).toBe('string');

    // R NMF's survey measures, after the contract's fields (CLI.md): rss and evar of the rank's
    // saved run against V, recomputed here from the k<rank> folder's W and H.
    const values = (path: string): number[][] =>
      readTsv(path)
        .slice(1)
        .map((row) => row.slice(1).map(Number));
    const V = values(join(dir, 'syn', 'V.tsv'));
    const total = V.flat().reduce((sum, v) => sum + v * v, 0);
    for (const r of ranks.ranks) {
      const keys = Object.keys(r);
      expect(keys.slice(keys.indexOf('consensus_fits') + 1)).toEqual([
        'rss',
        'evar',
        'sparseness_basis',
        'sparseness_coef',
        'silhouette_coef',
        'silhouette_basis',
        'silhouette_consensus',
        'silhouette_points',
        'baseline',
        'run_id',
      ]);
      const W = values(join(out, `k${r.rank}`, 'W.tsv'));
      const H = values(join(out, `k${r.rank}`, 'H.tsv'));
      let rss = 0;
      V.forEach((row, i) =>
        row.forEach((v, j) => {
          const fitted = W[i].reduce((sum, w, a) => sum + w * H[a][j], 0);
          rss += (v - fitted) ** 2;
        }),
      );
      expect(Math.abs(r.rss - rss) / rss).toBeLessThan(1e-6);
      expect(r.evar).toBeCloseTo(1 - r.rss / total, 12);
      for (const key of ['sparseness_basis', 'sparseness_coef', 'silhouette_coef', 'silhouette_basis']) {
        expect(r[key], key).toBeGreaterThanOrEqual(key.startsWith('silhouette') ? -1 : 0);
        expect(r[key], key).toBeLessThanOrEqual(1);
      }
      expect(r.silhouette_consensus).toBeGreaterThan(0);
      expect(r.silhouette_points).toEqual({ coef: 60, basis: 100, consensus: 60 });
      // The baseline's, from its best replicate on the row-shuffled copy: a worse fit.
      expect(r.baseline.rss).toBeGreaterThan(r.rss);
      expect(r.baseline.evar).toBeLessThan(r.evar);
    }
  });

  it('assign and align read run folders and library runs', async () => {
    const assigned = JSON.parse((await cli('assign', join(dir, 'fit'))).stdout);
    expect(Object.keys(assigned.modules).length).toBe(100);
    expect(assigned.modules.gene1.length).toBeGreaterThan(0);
    expect(Array.isArray(assigned.moonlighting)).toBe(true);
    const aligned = JSON.parse((await cli('align', join(dir, 'fit'), join(dir, 'sweep', 'k4'))).stdout);
    expect(aligned.similarity.length).toBe(5);
    expect(aligned.similarity[0].length).toBe(4);
    expect(aligned.matches.length).toBe(4);
    expect(aligned.unmatched_a.length).toBe(1);
    expect(aligned.unmatched_b).toEqual([]);
    const byId = JSON.parse((await cli('assign', '1', '--db', db, '--threshold', '0.5')).stdout);
    expect(byId.threshold).toBe(0.5);
  });

  it('re-imports an exported run, and imports factors from other tools (scikit-learn, cNMF)', async () => {
    const out = join(dir, 'roundtrip');
    expect((await cli('runs', 'export', '1', '--out', out, '--db', db)).code).toBe(0);
    const original = JSON.parse((await cli('runs', 'show', '1', '--db', db)).stdout);
    const back = JSON.parse(
      (await cli('runs', 'import', out, '--dataset', String(original.datasetId), '--db', db)).stdout,
    );
    expect(back.rank).toBe(5);
    expect(back.loss).toBeCloseTo(original.loss, 6);
    const reexported = join(dir, 'roundtrip2');
    await cli('runs', 'export', String(back.run), '--out', reexported, '--db', db);
    expect(readFileSync(join(reexported, 'W.tsv'), 'utf8')).toBe(readFileSync(join(out, 'W.tsv'), 'utf8'));
    const provenance = JSON.parse(
      (await cli('runs', 'show', String(back.run), '--db', db)).stdout,
    ).provenance;
    expect(provenance.importedFrom.tool).toBe('NMF Studio (exported run)');

    // scikit-learn style: numpy.savetxt of W (m × k) and H (k × n), no names.
    const W = readTsv(join(out, 'W.tsv'))
      .slice(1)
      .map((r) => r.slice(1));
    const H = readTsv(join(out, 'H.tsv'))
      .slice(1)
      .map((r) => r.slice(1));
    writeFileSync(join(dir, 'sk_W.txt'), W.map((r) => r.join(' ')).join('\n') + '\n');
    writeFileSync(join(dir, 'sk_H.txt'), H.map((r) => r.join(' ')).join('\n') + '\n');
    const sk = await cli(
      'runs',
      'import',
      '--dataset',
      String(original.datasetId),
      '--w',
      join(dir, 'sk_W.txt'),
      '--h',
      join(dir, 'sk_H.txt'),
      '--tool',
      'scikit-learn',
      '--db',
      db,
    );
    expect(sk.stderr).toBe('');
    expect(JSON.parse(sk.stdout).loss).toBeCloseTo(original.loss, 6);

    // cNMF layout: spectra are components × genes, usages samples × components, with names.
    const genes = readTsv(join(out, 'W.tsv'))
      .slice(1)
      .map((r) => r[0]);
    const samples = readTsv(join(out, 'H.tsv'))[0].slice(1);
    const spectra = [
      '\t' + genes.join('\t'),
      ...[0, 1, 2, 3, 4].map((c) => `${c + 1}\t` + W.map((r) => r[c]).join('\t')),
    ];
    const usages = [
      '\t1\t2\t3\t4\t5',
      ...samples.map((name, j) => `${name}\t` + H.map((r) => r[j]).join('\t')),
    ];
    writeFileSync(join(dir, 'cnmf.spectra.k_5.dt_0_1.txt'), spectra.join('\n') + '\n');
    writeFileSync(join(dir, 'cnmf.usages.k_5.dt_0_1.consensus.txt'), usages.join('\n') + '\n');
    const cnmf = await cli(
      'runs',
      'import',
      '--dataset',
      String(original.datasetId),
      '--w',
      join(dir, 'cnmf.spectra.k_5.dt_0_1.txt'),
      '--h',
      join(dir, 'cnmf.usages.k_5.dt_0_1.consensus.txt'),
      '--tool',
      'cNMF',
      '--db',
      db,
    );
    expect(cnmf.stderr).toBe('');
    expect(JSON.parse(cnmf.stdout).loss).toBeCloseTo(original.loss, 6);

    const wrong = await cli(
      'runs',
      'import',
      '--dataset',
      String(original.datasetId),
      '--w',
      join(dir, 'sk_H.txt'),
      '--h',
      join(dir, 'sk_H.txt'),
      '--db',
      db,
    );
    expect(wrong.code).toBe(2);
  });

  it('exports the whole library and merges it into another, recognising what is already there', async () => {
    const copy = join(dir, 'copy.sqlite');
    expect(JSON.parse((await cli('library', 'export', copy, '--db', db)).stdout)).toEqual({ path: copy });
    expect((await cli('library', 'export', copy, '--db', db)).code).toBe(2);
    const other = join(dir, 'other.sqlite');
    const first = JSON.parse((await cli('library', 'import', copy, '--db', other)).stdout);
    const datasets = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout).length;
    const runs = JSON.parse((await cli('runs', 'list', '--db', db)).stdout).length;
    expect(first).toEqual({
      datasetsAdded: datasets,
      datasetsExisting: 0,
      runsAdded: runs,
      sweepsAdded: 1,
      projectionsAdded: 0,
      consensusAdded: 0,
    });
    expect(JSON.parse((await cli('runs', 'list', '--db', other)).stdout).length).toBe(runs);
    const second = JSON.parse((await cli('library', 'import', copy, '--db', other)).stdout);
    expect(second.datasetsAdded).toBe(0);
    expect(second.datasetsExisting).toBe(datasets);
    expect(JSON.parse((await cli('runs', 'list', '--db', other)).stdout).length).toBe(
      runs + second.runsAdded,
    );
    expect((await cli('library', 'import', join(dir, 'missing.sqlite'), '--db', other)).code).toBe(2);
  });

  it('runs show, export and delete', async () => {
    const shown = JSON.parse((await cli('runs', 'show', '1', '--db', db)).stdout);
    expect(shown.state).toBe('done');
    expect(shown.provenance.dataHash).toMatch(/^[0-9a-f]{64}$/);
    const out = join(dir, 'exported');
    expect((await cli('runs', 'export', '1', '--out', out, '--db', db)).code).toBe(0);
    expect(readFileSync(join(out, 'W.tsv'), 'utf8')).toBe(readFileSync(join(dir, 'fit', 'W.tsv'), 'utf8'));
    expect(JSON.parse((await cli('runs', 'delete', '1', '--db', db)).stdout)).toEqual({ deleted: 1 });
    expect((await cli('runs', 'delete', '1', '--db', db)).code).toBe(2);
  });
});
