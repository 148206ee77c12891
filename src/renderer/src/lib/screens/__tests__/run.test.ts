import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AssignmentView, RunDetail } from '../../../../../shared/domain';
import { AssignmentTable, RunScreen } from '../run.svelte';
import { runExportDocument } from '../../../../../shared/export/run-document';
import {
  activationEnvelopes,
  blockMaxima,
  coefficientMapBins,
  countsPerComponent,
  dominantComponents,
  dominantSampleOrder,
} from '../../../../../shared/analysis/run-views';
import {
  activationChartFromEnvelopes,
  activationChartSpec,
  componentList,
  lossChartSpec,
  moduleRows,
  plantedModuleLabel,
  replicateStartsLine,
  runFactsLine,
  scaleColumnsToMax,
  thresholdPosition,
  topFeaturesByComponent,
  truthMapping,
  warmupHandover,
  warmupIterations,
  weightHistogramSpec,
} from '../run-view';
import { failed, fakePorts, ok } from './fake-ports';
import { run as runSummary } from './records';

const color = (i: number): string => `c${i}`;

/** A done run: 4 features × 2 components × 3 samples. */
function detail(over: Partial<RunDetail> = {}): RunDetail {
  return {
    ...runSummary({ params: { ...runSummary().params, rank: 2 } }),
    trace: [
      [1, 10],
      [50, 5],
    ],
    // W 4 × 2: component 0 peaks at 4 (feature 1), component 1 at 0.5 (feature 3).
    W: Float64Array.from([1, 0, 4, 0.1, 2, 0.2, 0, 0.5]),
    H: Float64Array.from([1, 2, 3, 0, 5, 0]),
    rows: 4,
    cols: 3,
    featureNames: ['a', 'b', 'c'],
    sampleNames: ['s1', 's2', 's3'],
    provenance: null,
    ...over,
  };
}

function assignment(over: Partial<AssignmentView> = {}): AssignmentView {
  return {
    runId: 1,
    threshold: 0.4,
    defaultThreshold: 0.35,
    featureNames: ['Actb', 'Gapdh', 'Cd3e', 'Cd19'],
    modules: [[0], [0, 1], [1], []],
    moonlighting: [1],
    normalizedW: new Float64Array(8),
    rank: 2,
    histogram: { edges: [0, 0.5, 1], counts: [5, 3] },
    truth: null,
    ...over,
  };
}

describe('Run screen derived values', () => {
  it('caps the HALS warm-up at half the budget, and hands over only under MU', () => {
    expect(warmupIterations({ warmup: 30, maxIter: 500 })).toBe(30);
    expect(warmupIterations({ warmup: 400, maxIter: 501 })).toBe(250);
    expect(warmupHandover({ solver: 'mu', warmup: 30, maxIter: 500 })).toBe(30);
    expect(warmupHandover({ solver: 'mu', warmup: 0, maxIter: 500 })).toBeNull();
    expect(warmupHandover({ solver: 'hals', warmup: 30, maxIter: 500 })).toBeNull();
    // A warm-up until HALS settled: its length is the run's record, not the parameter.
    const settling = { solver: 'mu', warmup: 200, warmupTol: 1e-3, maxIter: 2000 } as const;
    expect(warmupHandover(settling, 340)).toBe(340);
    expect(warmupHandover(settling)).toBeNull();
    expect(warmupHandover({ ...settling, warmupTol: 0 }, 340)).toBe(200);
  });

  it('writes the facts line: loss, solver, start, warm-up, convergence, loss, time', () => {
    const line = runFactsLine(detail({ createdAt: '2026-01-02T03:04:05Z' }));
    expect(line).toMatch(
      /^kl \/ mu · init nndsvda · seed 0 · HALS warm-up 30 · 100 iterations \(converged\) · final loss 12\.5 · /,
    );
    expect(line).not.toContain('log-likelihood');
    const settled = detail({ params: { ...detail().params, warmup: 200, warmupTol: 1e-3, maxIter: 2000 } });
    expect(runFactsLine(settled)).toContain('· HALS warm-up ≥ 200 (until settled, tol 0.001) ·');
    settled.provenance = { ...settled.provenance!, warmupIterations: 340 };
    expect(runFactsLine(settled)).toContain('· HALS warm-up 340 (until settled, tol 0.001) ·');
    const beta = runFactsLine(
      detail({
        params: { ...detail().params, loss: 'beta', beta: 1.5, warmup: 0 },
        converged: false,
        iterations: null,
        loglik: -3.25,
      }),
    );
    expect(beta).toMatch(
      /^β = 1\.5 \/ mu · init nndsvda · seed 0 · — iterations \(not converged\) · final loss 12\.5 · log-likelihood -3\.25/,
    );
    expect(runFactsLine(detail({ converged: null }))).toContain(' · 100 iterations · ');
  });

  it('scales each component to a maximum of 1, leaving an all-zero component at zero', () => {
    const W = [1, 0, 4, 0, 2, 0];
    expect(Array.from(scaleColumnsToMax(W, 3, 2))).toEqual([0.25, 0, 1, 0, 0.5, 0]);
  });

  it('lists each component’s top features by weight, naming unnamed rows by number', () => {
    const run = detail();
    const top = topFeaturesByComponent(run.W!, 4, 2, ['C1', 'Liver'], run.featureNames, 2);
    expect(top[0]).toEqual({
      name: 'C1',
      top: [
        { feature: 'b', weight: 4 },
        { feature: 'c', weight: 2 },
      ],
    });
    // Feature 4 has no name: shown as "4".
    expect(top[1].top.map((t) => t.feature)).toEqual(['4', 'c']);
  });

  it('marks the warm-up hand-over on the loss chart only once the trace has passed it', () => {
    const trace: Array<[number, number]> = [
      [1, 10],
      [20, 4],
    ];
    expect(lossChartSpec(7, trace, 30, color).markers).toEqual([]);
    expect(lossChartSpec(7, [...trace, [40, 3]], 30, color).markers).toEqual([
      { x: 30, label: 'HALS → MU', color: 'c3' },
    ]);
    expect(lossChartSpec(7, trace, null, color).series[0].points).toEqual([
      { x: 1, y: 10 },
      { x: 20, y: 4 },
    ]);
  });

  it('draws activations in the clustered sample order when one is given', () => {
    const H = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const plain = activationChartSpec(H, 3, ['C1', 'C2'], null, color);
    expect(plain.series[1].points.map((p) => p.y)).toEqual([4, 5, 6]);
    expect(plain.xLabel).toBe('sample / time index');
    const ordered = activationChartSpec(H, 3, ['C1', 'C2'], Int32Array.from([2, 0, 1]), color);
    expect(ordered.series[0].points.map((p) => p.y)).toEqual([3, 1, 2]);
    expect(ordered.xLabel).toBe('sample (clustered order)');
  });

  it('places the threshold within its histogram bin, and at the end past the last edge', () => {
    const histogram = { edges: [0, 0.25, 0.5, 1], counts: [1, 1, 1] };
    expect(thresholdPosition(histogram, 0)).toBeCloseTo(-0.5);
    expect(thresholdPosition(histogram, 0.125)).toBeCloseTo(0);
    expect(thresholdPosition(histogram, 0.5)).toBeCloseTo(1.5);
    expect(thresholdPosition(histogram, 0.75)).toBeCloseTo(2);
    expect(thresholdPosition(histogram, 1.5)).toBe(2.5);
    const spec = weightHistogramSpec(histogram, 0.75, color);
    expect(spec.categories).toEqual(['0.00–0.25', '0.25–0.50', '0.50–1.00']);
    expect(spec.markers?.[0].label).toBe('threshold 0.75');
  });

  it('names components, planted modules and the truth mapping from 1', () => {
    expect(componentList([0, 2])).toBe('C1, C3');
    expect(componentList([1, 0], ' + ')).toBe('C2 + C1');
    expect(truthMapping([1, -1, 0])).toBe('M1→C2, M2→none, M3→C1');
    expect(plantedModuleLabel(2)).toBe('M3');
    expect(plantedModuleLabel(-1)).toBe('—');
    expect(plantedModuleLabel(null)).toBe('—');
  });

  it('finds features by name in any case, and narrows to moonlighting ones', () => {
    const a = assignment({ truth: { truthModule: [0, 0, 1, -1] } as AssignmentView['truth'] });
    expect(moduleRows(a, '', false)).toHaveLength(4);
    expect(moduleRows(a, ' cd ', false).map((r) => r.name)).toEqual(['Cd3e', 'Cd19']);
    expect(moduleRows(a, '', true)).toEqual([
      { index: 1, name: 'Gapdh', modules: [0, 1], truth: 0, moonlighting: true },
    ]);
    expect(moduleRows(a, 'cd', true)).toEqual([]);
    expect(moduleRows(assignment(), '', false)[0].truth).toBeNull();
  });

  it('lists where replicates started and ended', () => {
    expect(
      replicateStartsLine([
        { init: 'nndsvda', seed: 0, loss: 11.987654321 },
        { init: 'random', seed: 1, loss: 12.5 },
      ]),
    ).toBe('nndsvda (seed 0): 11.9877 · random (seed 1): 12.5000');
  });

  it('exports the run with shapes, factors apart from the record, and the assignment shown', () => {
    const run = detail();
    const doc = runExportDocument(run, assignment(), new Date('2026-03-04T05:06:07Z'));
    expect(doc.shapes).toEqual({ W: [4, 2], H: [2, 3] });
    expect(doc.run).not.toHaveProperty('W');
    expect(doc.W).toBe(run.W);
    expect(doc.assignment).toEqual({
      threshold: 0.4,
      modules: assignment().modules,
      moonlighting: [1],
      truth: null,
    });
    expect(doc.exportedAt).toBe('2026-03-04T05:06:07.000Z');
    expect(runExportDocument(run, null, new Date()).assignment).toBeNull();
  });
});

describe('RunScreen', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function screen(run = detail()) {
    const fake = fakePorts({
      'runs:get': () => ok(run),
      'runs:assign': (request) => ok(assignment({ threshold: request.threshold ?? 0.4 })),
    });
    return { ...fake, screen: new RunScreen(fake.ports, 1) };
  }

  it('loads the run, then its modules at the default threshold', async () => {
    const { screen: s, calls } = screen();
    await s.load();
    expect(s.run?.id).toBe(1);
    expect(calls.map((c) => c.channel)).toEqual(['runs:get', 'runs:assign']);
    expect(calls[1].request).toEqual({ id: 1 });
    expect(s.threshold).toBe(0.4);
    expect(s.names).toEqual(['C1', 'C2']);
    expect(s.handover).toBe(30);
  });

  it('uses the user’s component names, and assigns nothing for a run without factors', async () => {
    const { screen: s, calls } = screen(
      detail({ state: 'failed', W: null, H: null, componentNames: ['T cells', 'B cells'] }),
    );
    await s.load();
    expect(s.names).toEqual(['T cells', 'B cells']);
    expect(s.canRerun).toBe(true);
    expect(s.wDisplay).toBeNull();
    expect(calls.map((c) => c.channel)).toEqual(['runs:get']);
  });

  it('colours W per component or raw, and reports a fallback when the order asked for is not used', async () => {
    const { screen: s } = screen();
    await s.load();
    expect(Array.from(s.wDisplay!)).toEqual([0.25, 0, 1, 0.2, 0.5, 0.4, 0, 1]);
    s.wScale = 'raw';
    expect(s.wDisplay).toBe(s.run!.W);
    expect(s.orderFellBack).toBe(false);
    expect(s.topFeatures[1].top[0]).toEqual({ feature: '4', weight: 0.5 });
  });

  it('draws a summarised run (no H sent) from its summaries, in the order asked for', async () => {
    // H 2 × 5000 stays in the main process; the screen gets the views in both sample orders.
    const n = 5000;
    const H = Float64Array.from({ length: 2 * n }, (_, t) => (t * 37) % 11);
    const W = detail().W!;
    const view = (order: Int32Array | null) => ({
      map: blockMaxima(H, 2, n, order),
      envelopes: activationEnvelopes(H, 2, n, order),
    });
    const dominant = dominantComponents(W, H, 4, 2, n);
    const bins = coefficientMapBins(H, 2, n, dominant);
    const summarised = detail({
      H: null,
      cols: n,
      sampleNames: [],
      hSummary: {
        activationBins: 1000,
        range: { min: 0, max: 10 },
        orders: { fitted: view(null), dominant: view(dominantSampleOrder(H, 2, n)) },
        dominantCounts: countsPerComponent(dominant, 2),
        coefficients: {
          dominant: { ...bins, firstClusters: Int32Array.from(bins.firstSamples, (j) => dominant[j]) },
          consensus: null,
        },
      },
    });
    const { screen: s, calls } = screen(summarised);
    await s.load();
    expect(calls.map((c) => c.channel)).toEqual(['runs:get', 'runs:assign']);
    expect(s.hOrder).toEqual({ order: null, used: 'fitted' });
    expect(s.hSummaryView).toEqual(summarised.hSummary!.orders.fitted);
    s.hOrderKind = 'dominant';
    expect(s.hSummaryView).toEqual(summarised.hSummary!.orders.dominant);
    expect(s.orderFellBack).toBe(false);
    s.hOrderKind = 'clustered';
    expect(s.hOrder.used).toBe('dominant');
    expect(s.hSummaryView).toEqual(summarised.hSummary!.orders.dominant);
    expect(s.orderFellBack).toBe(true);
    // W's views are as before.
    expect(s.topFeatures[1].top[0]).toEqual({ feature: '4', weight: 0.5 });
    // The chart the screen draws from the envelopes: binned, with the counts.
    const chart = activationChartFromEnvelopes(s.hSummaryView!.envelopes, n, 1000, s.names, true, color);
    expect(chart.title).toBe(
      "Activations H over samples: 5000 samples in 1000 bins, each bin's lowest and highest value drawn",
    );
    expect(chart).toEqual(activationChartSpec(H, n, s.names, dominantSampleOrder(H, 2, n), color));
  });

  it('assigns again at the slider’s value once it rests', async () => {
    const { screen: s, calls } = screen();
    await s.load();
    s.setThreshold(0.5);
    s.setThreshold(0.6);
    expect(s.shownThreshold).toBe(0.6);
    await vi.advanceTimersByTimeAsync(200);
    const assigns = calls.filter((c) => c.channel === 'runs:assign');
    expect(assigns.map((c) => c.request)).toEqual([{ id: 1 }, { id: 1, threshold: 0.6 }]);
    expect(s.assignment?.threshold).toBe(0.6);
  });

  it('reloads on changes to this run or to runs in general, not to others', async () => {
    const { screen: s, calls } = screen();
    s.libraryChanged({ what: 'runs', id: 2 });
    s.libraryChanged({ what: 'datasets', id: 1 });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(0);
    s.libraryChanged({ what: 'runs', id: 1 });
    s.libraryChanged({ what: 'runs', id: null });
    await vi.advanceTimersByTimeAsync(200);
    expect(calls.filter((c) => c.channel === 'runs:get')).toHaveLength(1);
  });

  it('fetches the result when the live job reports a final state, not while it runs', async () => {
    const { screen: s, calls, handlers } = screen(detail({ state: 'running', W: null, H: null }));
    await s.load();
    expect(s.running).toBe(true);
    s.jobReported('running');
    expect(calls.filter((c) => c.channel === 'runs:get')).toHaveLength(1);
    handlers['runs:get'] = () => ok(detail());
    s.jobReported('done');
    await vi.advanceTimersByTimeAsync(0);
    expect(s.run?.state).toBe('done');
    expect(s.running).toBe(false);
  });

  it('deletes after asking, goes to the Library, and Undo restores and reopens the run', async () => {
    const { screen: s, handlers, answers, questions, navigations, notices } = screen();
    handlers['runs:delete'] = () => ok({ deleted: 1 });
    handlers['runs:restore'] = () => ok(runSummary());
    answers.push(false);
    await s.remove();
    expect(questions[0].title).toBe('Delete run #1?');
    expect(navigations).toEqual([]);
    answers.push(true);
    await s.remove();
    expect(navigations).toEqual(['/library']);
    expect(notices[0].message).toBe('Run 1 deleted.');
    await notices[0].action!.run();
    expect(navigations).toEqual(['/library', '/runs/1']);
  });

  it('shows a refused delete or rerun, and opens the new run after a rerun', async () => {
    const { screen: s, handlers, answers, navigations, notices } = screen();
    handlers['runs:delete'] = () => failed('still running', 'conflict');
    answers.push(true);
    await s.remove();
    expect(s.actionError?.message).toBe('still running');
    expect(navigations).toEqual([]);
    handlers['runs:rerun'] = () => ok(runSummary({ id: 9 }));
    await s.rerun();
    expect(s.actionError).toBeNull();
    expect(notices.at(-1)?.message).toBe('Run 9 started with the same parameters.');
    expect(navigations).toEqual(['/runs/9']);
  });
});

describe('AssignmentTable', () => {
  it('pages 25 rows at a time and starts again from the first page on a new search', () => {
    const names = Array.from({ length: 60 }, (_, i) => `g${i}`);
    const a = assignment({ featureNames: names, modules: names.map(() => [0]), moonlighting: [] });
    const table = new AssignmentTable(() => a);
    expect(table.pageCount).toBe(3);
    expect(table.visible[0].name).toBe('g0');
    table.next();
    table.next();
    table.next();
    expect(table.page).toBe(2);
    expect(table.visible.map((r) => r.name)).toEqual(names.slice(50));
    table.search = 'g1';
    table.restart();
    expect(table.page).toBe(0);
    // g1, g10 … g19
    expect(table.rows).toHaveLength(11);
    expect(table.pageCount).toBe(1);
    table.previous();
    expect(table.page).toBe(0);
  });

  it('is empty before the assignment arrives', () => {
    const table = new AssignmentTable(() => null);
    expect(table.rows).toEqual([]);
    expect(table.pageCount).toBe(1);
  });
});
