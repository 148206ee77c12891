import { describe, expect, it } from 'vitest';
import { parseAnnotationTable } from '../annotations';
import { classAgreement } from '../classes';

const names = ['s1', 's2', 's3', 's4'];

describe('annotation tables', () => {
  it('reads categorical and numeric columns in the dataset order', () => {
    const parsed = parseAnnotationTable(
      'sample\tclass\tage\ns3\tB\t3.5\ns1\tA\t1\ns2\tA\tNA\ns4\tB\t2e1\n',
      'a.tsv',
      names,
      'samples',
    );
    expect(parsed.keyColumn).toBe('sample');
    expect(parsed.columns).toEqual([
      { name: 'class', kind: 'categorical', levels: ['A', 'B'], values: ['A', 'A', 'B', 'B'] },
      { name: 'age', kind: 'numeric', values: [1, null, 3.5, 20] },
    ]);
  });

  it('reads quoted CSV', () => {
    const parsed = parseAnnotationTable(
      'id,"group, long"\ns1,"x, y"\ns2,z\ns3,z\ns4,"q ""w"""\n',
      'a.csv',
      names,
      'samples',
    );
    expect(parsed.columns[0]).toMatchObject({ name: 'group, long', values: ['x, y', 'z', 'z', 'q "w"'] });
  });

  it('refuses names that do not match, listing them both ways', () => {
    expect(() =>
      parseAnnotationTable('sample\tclass\ns1\tA\ns2\tA\nS3\tB\nx9\tB\n', 'a.tsv', names, 'samples'),
    ).toThrow(
      'a.tsv: the sample names do not match the dataset\'s (column 1 must hold them exactly). 2 name(s) in the file are not samples of the dataset: "S3", "x9"; 2 sample(s) of the dataset are missing from the file: "s3", "s4"',
    );
  });

  it('refuses ragged rows, duplicate names and a table without annotation columns', () => {
    expect(() => parseAnnotationTable('sample\tclass\ns1\tA\textra\n', 'a.tsv', names, 'samples')).toThrow(
      'a.tsv line 2 has 3 columns where the header has 2',
    );
    expect(() => parseAnnotationTable('sample\tclass\ns1\tA\ns1\tB\n', 'a.tsv', names, 'samples')).toThrow(
      'a.tsv line 3: sample "s1" is listed twice (lines 2 and 3)',
    );
    expect(() => parseAnnotationTable('sample\ns1\n', 'a.tsv', names, 'samples')).toThrow(
      /line 1 has one column/,
    );
  });
});

describe('class agreement', () => {
  const column = {
    name: 'class',
    kind: 'categorical' as const,
    levels: ['A', 'B', 'C'],
    values: ['A', 'A', 'B', 'B', 'C', null],
  };
  it('is perfect when clusters are the classes under other names', () => {
    const agreement = classAgreement([2, 2, 0, 0, 1, 1], column, 3);
    expect(agreement.ari).toBeCloseTo(1, 15);
    expect(agreement.purity).toBe(1);
    expect(agreement.counts).toEqual([
      [0, 0, 2],
      [2, 0, 0],
      [0, 1, 0],
    ]);
    expect(agreement.samples).toBe(5);
    expect(agreement.unlabelled).toBe(1);
  });
  it('scores a merge of two classes below 1', () => {
    const agreement = classAgreement([0, 0, 0, 0, 1, 1], column, 2);
    expect(agreement.purity).toBeCloseTo(3 / 5, 15);
    expect(agreement.ari).toBeLessThan(1);
    expect(agreement.ari).toBeGreaterThan(0);
  });
});
