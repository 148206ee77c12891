import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DownloadTicket } from '../../../shared/api';
import { encodeFrame } from '../../../shared/api/codec';
import { blockMaxima, finiteRange, summarisesH } from '../../../shared/analysis/run-views';
import type { ProjectionView } from '../../../shared/domain';
import { dense } from '../../../shared/linalg/matrix';
import { writeMatrixTable } from '../../io/tables';
import { componentNames } from '../../io/factors';
import { getProjectionDetail } from '../projections';
import { summariseProjectionH } from '../run-view';
import { call, downloadPieces, downloadWhole, servicesInTempFolders, storedProjection } from './harness';

/** `projections:get` of many new samples: a summary of H in place of H; H as TSV/CSV made here. */

const start = servicesInTempFolders('nmf-projection-view-');

/** Every typed or plain array in a value, with where it is and its length. */
function arrays(value: unknown, path = ''): Array<{ path: string; length: number }> {
  if (ArrayBuffer.isView(value)) return [{ path, length: (value as Float64Array).length }];
  if (Array.isArray(value))
    return [{ path, length: value.length }, ...value.flatMap((v, i) => arrays(v, `${path}[${i}]`))];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, v]) => arrays(v, `${path}.${key}`));
  return [];
}

/** What `nmf-studio project … --out DIR` writes as DIR/H.tsv (and the same table as CSV). */
async function cliTable(
  H: Float64Array,
  k: number,
  sampleNames: string[],
  delimiter: '\t' | ',',
): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-projection-cli-'));
  try {
    const path = join(dir, delimiter === ',' ? 'H.csv' : 'H.tsv');
    await writeMatrixTable(
      path,
      {
        matrix: dense(k, sampleNames.length, H),
        rowNames: componentNames(k),
        colNames: sampleNames,
        corner: 'component',
      },
      { delimiter },
    );
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('projections:get of many new samples', () => {
  it('at 10⁵ samples sends the map of H, not H nor the sample names, and H as TSV in pieces', async () => {
    const services = start();
    const stored = await storedProjection(services, { features: 6, rank: 3 }, 100_000);
    expect(summarisesH(3, 100_000)).toBe(true);
    // projections:start answers as projections:get does.
    expect(stored.H).toBeNull();

    const sent = await call<ProjectionView>(services, 'projections:get', { id: stored.id });
    const whole = getProjectionDetail(services.ctx, stored.id);
    expect(sent.H).toBeNull();
    expect(sent.sampleNames).toEqual([]);
    expect(sent.hSummary).toEqual({
      samples: 100_000,
      range: finiteRange(whole.H),
      map: blockMaxima(whole.H, 3, 100_000, null),
    });
    expect(sent).toEqual(stored);
    const { H: _H, sampleNames: _names, ...rest } = whole;
    const { H: _sentH, sampleNames: _sentNames, hSummary: _summary, ...sentRest } = sent;
    expect(sentRest).toEqual(rest);
    for (const { path, length } of arrays(sent)) expect(length, path).toBeLessThanOrEqual(3 * 1200 + 1);
    expect(encodeFrame(sent).byteLength).toBeLessThan(200_000);

    // H as TSV (5 MB: more than one 4 MiB read), the CLI's bytes, progress rising to 1.
    const ticket = await call<DownloadTicket>(services, 'projections:exportTable', {
      id: stored.id,
      delimiter: '\t',
    });
    const { pieces, progress } = await downloadPieces(services, ticket.downloadId);
    expect(pieces.length).toBeGreaterThan(1);
    expect(progress[0]).toBeLessThan(1);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(Buffer.concat(pieces).equals(await cliTable(whole.H, 3, whole.sampleNames, '\t'))).toBe(true);
  }, 180_000);

  it('at 10⁶ samples and k = 20 holds no n-long array and is under 2 MB', () => {
    const k = 20;
    const n = 1_000_000;
    const H = Float64Array.from({ length: k * n }, (_, t) => ((t * 2654435761) % 1000) / 250);
    const summary: Omit<ProjectionView, 'H' | 'sampleNames' | 'hSummary'> = {
      id: 1,
      runId: 1,
      datasetId: 2,
      datasetName: 'cells',
      rank: k,
      params: { loss: 'kl', beta: 1, solver: 'mu', maxIter: 200, tol: 1e-4, l1H: 0, l2H: 0 },
      matched: 2000,
      missing: [],
      dropped: [],
      iterations: 200,
      converged: true,
      loss: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    // What getProjectionView answers above the threshold.
    const sent: ProjectionView = {
      ...summary,
      H: null,
      sampleNames: [],
      hSummary: summariseProjectionH(H, k, n),
    };
    for (const { path, length } of arrays(sent)) expect(length, path).toBeLessThan(n);
    // k × n doubles would be 160 MB.
    expect(encodeFrame(sent).byteLength).toBeLessThan(2_000_000);
  }, 120_000);

  it('sends a small projection whole, as before', async () => {
    const services = start();
    const stored = await storedProjection(services, { features: 6, rank: 3 }, 300);
    const sent = await call<ProjectionView>(services, 'projections:get', { id: stored.id });
    expect(sent).toEqual(getProjectionDetail(services.ctx, stored.id));
    expect(sent.H).toHaveLength(900);
    expect(sent.sampleNames).toHaveLength(300);
    expect('hSummary' in sent).toBe(false);
    expect(stored).toEqual(sent);
  }, 60_000);

  it('exports a small H as TSV and CSV, the bytes the CLI writes', async () => {
    const services = start();
    const { id } = await storedProjection(services, { features: 6, rank: 3 }, 250);
    const whole = getProjectionDetail(services.ctx, id);
    for (const delimiter of ['\t', ','] as const) {
      const ticket = await call<DownloadTicket>(services, 'projections:exportTable', { id, delimiter });
      expect(ticket.fileName).toBe(`projection-${id}-H.${delimiter === ',' ? 'csv' : 'tsv'}`);
      const bytes = await downloadWhole(services, ticket.downloadId);
      const expected = await cliTable(whole.H, 3, whole.sampleNames, delimiter);
      expect(Buffer.from(bytes).equals(expected)).toBe(true);
    }
    await expect(call(services, 'projections:exportTable', { id: 999, delimiter: '\t' })).rejects.toThrow(
      /not_found/,
    );
    await expect(call(services, 'projections:exportTable', { id, delimiter: ';' })).rejects.toThrow();
  }, 60_000);
});
