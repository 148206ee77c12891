import { describe, expect, it } from 'vitest';
import type { DownloadTicket } from '../../../shared/api';
import { encodeFrame } from '../../../shared/api/codec';
import { summarisesH } from '../../../shared/analysis/run-views';
import type { RunDetail } from '../../../shared/domain';
import { neutraliseFormula } from '../../../shared/export/spreadsheet';
import { getRunDetail } from '../runs';
import { offerRunTable, runView, summariseH } from '../run-view';
import { call, downloadPieces, downloadWhole, finishedRunOfShape, servicesInTempFolders } from './harness';

const start = servicesInTempFolders('nmf-run-view-');

/**
 * The text the Run screen's W/H export made in the window before it moved here (renderer
 * exporting.ts `delimitedChunks`, joined), written out whole: header (corner, column names), then
 * a line per row (name, values as `String(v)`, NaN empty); CSV fields quoted per RFC 4180, TSV
 * fields with tabs and line breaks as spaces, formulas neutralised in both.
 */
function windowTable(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  rowNames: readonly string[],
  colNames: readonly string[],
  delimiter: '\t' | ',',
  corner: string,
): string {
  const field = (text: string): string => {
    const safe = neutraliseFormula(text);
    if (delimiter === '\t') return safe.replace(/[\t\r\n]+/g, ' ');
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  let text = [corner, ...colNames.slice(0, cols)].map(field).join(delimiter) + '\n';
  for (let i = 0; i < rows; i++) {
    text += field(rowNames[i] ?? String(i + 1));
    for (let j = 0; j < cols; j++) {
      const v = values[i * cols + j];
      text += delimiter + (Number.isNaN(v) ? '' : String(v));
    }
    text += '\n';
  }
  return text;
}

/** Every typed array in a value, with where it is. */
function typedArrays(value: unknown, path = ''): Array<{ path: string; length: number }> {
  if (ArrayBuffer.isView(value)) return [{ path, length: (value as Float64Array).length }];
  if (Array.isArray(value)) return value.flatMap((v, i) => typedArrays(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, v]) => typedArrays(v, `${path}.${key}`));
  return [];
}

describe('runs:get of a large run', () => {
  it('sends W and the summaries, not H nor the sample names, and exports W and H as the window did', async () => {
    const services = start();
    const shape = { features: 6, samples: 100_000, rank: 3 };
    const id = await finishedRunOfShape(services, shape, 2);
    const stored = getRunDetail(services.ctx, id);
    expect(summarisesH(3, 100_000)).toBe(true);

    const sent = await call<RunDetail>(services, 'runs:get', { id });
    expect(sent.H).toBeNull();
    expect(sent.sampleNames).toEqual([]);
    expect(Array.from(sent.W!)).toEqual(Array.from(stored.W!));
    expect(sent.cols).toBe(100_000);
    expect(sent.hSummary).toEqual(
      summariseH(stored as RunDetail & { W: Float64Array; H: Float64Array }, null),
    );
    expect(sent.hSummary!.dominantCounts.reduce((a, b) => a + b, 0)).toBe(100_000);
    for (const { path, length } of typedArrays(sent))
      expect(length, path).toBeLessThanOrEqual(Math.max(6 * 3, 3 * 2 * 1000 * 2, 3 * 1200 + 1));
    expect(encodeFrame(sent).byteLength).toBeLessThan(600_000);

    // W and H as TSV and CSV: the window's text, byte for byte, in pieces.
    const names = ['C1', 'C2', 'C3'];
    for (const delimiter of ['\t', ','] as const) {
      for (const which of ['W', 'H'] as const) {
        const ticket = await call<DownloadTicket>(services, 'runs:exportTable', { id, which, delimiter });
        expect(ticket.fileName).toBe(`run-${id}-${which}.${delimiter === ',' ? 'csv' : 'tsv'}`);
        const bytes = await downloadWhole(services, ticket.downloadId);
        const expected =
          which === 'W'
            ? windowTable(stored.W!, shape.features, 3, stored.featureNames, names, delimiter, 'feature')
            : windowTable(stored.H!, 3, shape.samples, names, stored.sampleNames, delimiter, 'component');
        expect(Buffer.from(bytes).equals(Buffer.from(expected, 'utf8'))).toBe(true);
      }
    }
    await expect(
      call(services, 'runs:exportTable', { id: 999, which: 'H', delimiter: '\t' }),
    ).rejects.toThrow(/not_found/);
    await expect(call(services, 'runs:exportTable', { id, which: 'V', delimiter: '\t' })).rejects.toThrow();
    await expect(call(services, 'runs:exportTable', { id, which: 'H', delimiter: ';' })).rejects.toThrow();
  }, 120_000);

  it('keeps a small run as it is (H and the sample names sent)', async () => {
    const services = start();
    const id = await finishedRunOfShape(services, { features: 8, samples: 50, rank: 2 }, 5);
    const sent = await call<RunDetail>(services, 'runs:get', { id });
    expect(sent.H).not.toBeNull();
    expect(sent.sampleNames).toHaveLength(50);
    expect(sent.hSummary).toBeUndefined();
  }, 60_000);

  it('exports names that need quoting and neutralising as the window did', async () => {
    const services = start();
    const id = await finishedRunOfShape(services, { features: 5, samples: 7, rank: 2 }, 3);
    await call(services, 'runs:update', { id, componentNames: ['=SUM(A1)', 'a,"b"\tc'] });
    const stored = getRunDetail(services.ctx, id);
    const names = ['=SUM(A1)', 'a,"b"\tc'];
    expect(stored.componentNames).toEqual(names);
    for (const delimiter of ['\t', ','] as const) {
      const ticket = await offerRunTable(services.ctx, id, 'H', delimiter, 3);
      const bytes = await downloadWhole(services, ticket.downloadId);
      expect(new TextDecoder().decode(bytes)).toBe(
        windowTable(stored.H!, 2, 7, names, stored.sampleNames, delimiter, 'component'),
      );
    }
  }, 60_000);
});

describe('a W/H table read in pieces', () => {
  it('reports rising progress to 1, and a cancelled table is gone', async () => {
    const services = start();
    const id = await finishedRunOfShape(services, { features: 6, samples: 40_000, rank: 6 }, 2);
    const ticket = await offerRunTable(services.ctx, id, 'H', ',', 1000);
    const { pieces: read, progress } = await downloadPieces(services, ticket.downloadId);
    const pieces = read.length;
    expect(pieces).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress[0]).toBeLessThan(1);

    const cancelled = await call<DownloadTicket>(services, 'runs:exportTable', {
      id,
      which: 'H',
      delimiter: '\t',
    });
    await call(services, 'downloads:read', { downloadId: cancelled.downloadId });
    expect(await call(services, 'downloads:cancel', { downloadId: cancelled.downloadId })).toEqual({
      cancelled: true,
    });
    await expect(call(services, 'downloads:read', { downloadId: cancelled.downloadId })).rejects.toThrow();
  }, 60_000);
});

describe('runs:get payload at 10⁶ samples', () => {
  it('holds no k × n array: W, the names of the features and a bounded summary', () => {
    const k = 4;
    const n = 1_000_000;
    const m = 50;
    const W = Float64Array.from({ length: m * k }, (_, t) => (t * 7919) % 13);
    const H = Float64Array.from({ length: k * n }, (_, t) => ((t * 2654435761) % 1000) / 250);
    const run = {
      id: 1,
      params: { rank: k },
      state: 'done',
      W,
      H,
      rows: m,
      cols: n,
      featureNames: Array.from({ length: m }, (_, i) => `g${i}`),
      sampleNames: Array.from({ length: n }, (_, j) => `cell${j}`),
      componentNames: null,
    } as unknown as RunDetail;
    const consensus = Array.from({ length: n }, (_, j) => j % k);
    const sent = runView(run, () => consensus);
    expect(sent.H).toBeNull();
    expect(sent.sampleNames).toEqual([]);
    const arrays = typedArrays(sent);
    for (const { path, length } of arrays) expect(length, path).toBeLessThan(n);
    expect(sent.hSummary!.coefficients.consensus).not.toBeNull();
    const bytes = encodeFrame(sent).byteLength;
    // k × n doubles would be 32 MB; the summary is independent of n.
    expect(bytes).toBeLessThan(2_000_000);
  }, 120_000);
});
