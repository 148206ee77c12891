import { describe, expect, it } from 'vitest';
import { analyzeConsensus } from '../../../shared/analysis';
import type {
  AnnotationSet,
  ConsensusMapView,
  RunSummary,
  SweepClassesView,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import { dispatch } from '../dispatch';
import { getSweepDetail } from '../sweeps';
import { call, servicesInTempFolders } from './harness';

/** Annotations, names, class agreement and consensus maps through the channels, on a small sweep. */
const start = servicesInTempFolders('nmf-reading-');

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('reading through the services', () => {
  it('annotates, names, and reads a sweep against its classes and consensus map', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number; cols: number } }>(
      services,
      'datasets:synthesize',
      {
        features: 60,
        samples: 24,
        rank: 3,
        seed: 5,
      },
    );
    const detail = await call<{ colNames: string[] }>(services, 'datasets:get', { id: dataset.id });
    // A two-level class and a numeric column.
    const table =
      'sample\tgroup\tdepth\n' +
      detail.colNames.map((s, j) => `${s}\t${j < 12 ? 'first' : 'second'}\t${j}`).join('\n');
    const set = await call<AnnotationSet>(services, 'annotations:import', {
      datasetId: dataset.id,
      axis: 'samples',
      file: { fileName: 'groups.tsv', bytes: bytes(table) },
    });
    expect(set.columns.map((c) => [c.name, c.kind])).toEqual([
      ['group', 'categorical'],
      ['depth', 'numeric'],
    ]);
    expect(set.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    const refused = await dispatch(services.handlers, 'annotations:import', {
      datasetId: dataset.id,
      axis: 'samples',
      file: { fileName: 'short.tsv', bytes: bytes('sample\tgroup\ns1\tx\n') },
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('bad_input');
      expect(refused.error.location?.file).toBe('short.tsv');
    }
    const listed = await call<{ sets: AnnotationSet[] }>(services, 'annotations:list', {
      datasetId: dataset.id,
    });
    expect(listed.sets).toHaveLength(1);

    const sweep = await call<SweepSummary>(services, 'sweeps:start', {
      datasetId: dataset.id,
      params: { fromRank: 2, toRank: 3, replicates: 4, cvFolds: 0, baseline: false, fit: { maxIter: 200 } },
    });
    let done: SweepDetail | null = null;
    const started = Date.now();
    while (!done && Date.now() - started < 120_000) {
      const current = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
      if (current.state === 'done') done = current;
      else if (current.state === 'failed') throw new Error(current.error ?? 'sweep failed');
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(done).not.toBeNull();

    // The consensus map is the stored consensus, reordered: same clusters as the sweep reported.
    const map = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 3 });
    const rank3 = getSweepDetail(services.ctx, sweep.id).ranks.find((r) => r.rank === 3)!;
    expect(map.replicates).toBe(4);
    expect([...map.order].sort((a, b) => a - b)).toEqual(detail.colNames.map((_, j) => j));
    map.order.forEach((j, p) => expect(map.clusters[p]).toBe(rank3.sampleClusters[j]));
    expect(map.cophenetic).toBe(rank3.cophenetic);
    for (let p = 0; p < map.order.length; p++) expect(map.matrix[p * map.order.length + p]).toBe(1);
    const again = analyzeConsensus([rank3.sampleClusters], 3);
    expect(again.sampleClusters).toHaveLength(dataset.cols);
    const outOfRange = await dispatch(services.handlers, 'sweeps:consensus', { id: sweep.id, rank: 7 });
    expect(outOfRange.ok).toBe(false);

    const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(classes.columns).toEqual(['group']);
    expect(classes.ranks.map((r) => r.rank)).toEqual([2, 3]);
    for (const r of classes.ranks) {
      const [agreement] = r.agreements;
      expect(agreement.samples).toBe(24);
      expect(agreement.counts.flat().reduce((s, v) => s + v, 0)).toBe(24);
      expect(agreement.purity).toBeGreaterThanOrEqual(0.5);
    }

    // Names: a run's name and its components', checked against the rank.
    const runId = rank3.runId!;
    const named = await call<RunSummary>(services, 'runs:update', {
      id: runId,
      name: 'three programs',
      componentNames: ['alpha', 'beta', 'gamma'],
    });
    expect(named.name).toBe('three programs');
    expect(named.componentNames).toEqual(['alpha', 'beta', 'gamma']);
    const markers = await call<{ components: Array<{ name: string }> }>(services, 'runs:markers', {
      id: runId,
      top: 3,
    });
    expect(markers.components.map((c) => c.name)).toEqual(['alpha', 'beta', 'gamma']);
    const wrong = await dispatch(services.handlers, 'runs:update', { id: runId, componentNames: ['a', 'b'] });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error.message).toBe(`run ${runId} has 3 components, 2 names were given`);
    const cleared = await call<RunSummary>(services, 'runs:update', {
      id: runId,
      name: '',
      componentNames: null,
    });
    expect(cleared.name).toBeNull();
    expect(cleared.componentNames).toBeNull();
    const found = await call<RunSummary[]>(services, 'runs:list', { includeSweeps: true, text: 'three' });
    expect(found).toHaveLength(0);
  }, 150_000);
});
