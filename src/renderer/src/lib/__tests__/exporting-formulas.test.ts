import { describe, expect, it } from 'vitest';
import { csvField, matrixToDelimited, tsvField } from '../exporting';
import { neutraliseFormula, restoreNeutralised } from '../../../../shared/export/spreadsheet';

describe('spreadsheet formula neutralising', () => {
  it('quotes names that a spreadsheet would evaluate, and only those', () => {
    for (const hostile of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(neutraliseFormula(hostile)).toBe(`'${hostile}`);
      expect(restoreNeutralised(neutraliseFormula(hostile))).toBe(hostile);
    }
    for (const plain of ['TP53', "5'UTR", 'a=b', '', "'quoted"]) {
      expect(neutraliseFormula(plain)).toBe(plain);
      expect(restoreNeutralised(plain)).toBe(plain);
    }
  });

  it('applies to every name field of CSV and TSV exports, not to numbers', () => {
    expect(csvField('=1+2,3')).toBe(`"'=1+2,3"`);
    expect(tsvField('@cmd')).toBe("'@cmd");
    const text = matrixToDelimited([-1.5, 2], 1, 2, ['=evil()'], ['+s1', 's2'], '\t', 'gene');
    expect(text).toBe("gene\t'+s1\ts2\n'=evil()\t-1.5\t2\n");
  });
});
