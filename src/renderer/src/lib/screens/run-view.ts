import type { AssignmentView, RunDetail, RunParams, RunProvenance } from '../../../../shared/domain';
import type { ChartPoint, ChartSpec } from '../svgchart';
import { formatDate, formatDuration, formatValue } from '../format';
import { topOfColumn } from '../ordering';
import { lossLabel } from './labels';
import {
  ACTIVATION_BINS,
  ACTIVATION_MAX_SAMPLES,
  activationEnvelopes,
} from '../../../../shared/analysis/run-views';

/**
 * What the Run screen shows, computed from the stored run: pure functions of the record, so the
 * screen is markup and each number it shows is tested here.
 */

/**
 * Iterations the HALS warm-up took before multiplicative updates: the parameter, capped at half
 * the iteration budget (as the engine caps it, so MU always gets the other half); for a warm-up that
 * went on until HALS settled (`warmupTol` > 0), the length the run recorded (null if it did not).
 */
export function warmupIterations(
  params: Pick<RunParams, 'warmup' | 'warmupTol' | 'maxIter'>,
  recorded?: number,
): number | null {
  if ((params.warmupTol ?? 0) > 0) return recorded ?? null;
  return Math.min(params.warmup, Math.floor(params.maxIter / 2));
}

/** Iteration after which multiplicative updates take over from the HALS warm-up, or null (none, or not recorded). */
export function warmupHandover(
  params: Pick<RunParams, 'solver' | 'warmup' | 'warmupTol' | 'maxIter'>,
  recorded?: number,
): number | null {
  return params.solver === 'mu' && params.warmup > 0 ? warmupIterations(params, recorded) : null;
}

/**
 * The facts line under the Run heading, after the state: "kl / mu · init nndsvda · seed 0 · HALS
 * warm-up 30 · 120 iterations (converged) · final loss 12.5 · 1.5 s · <date>".
 */
export function runFactsLine(run: RunDetail): string {
  const p = run.params;
  const parts = [`${lossLabel(p, ' = ')} / ${p.solver}`, `init ${p.init}`, `seed ${p.seed}`];
  if (p.warmup) {
    const settled = (p.warmupTol ?? 0) > 0;
    const length = warmupIterations(p, run.provenance?.warmupIterations);
    parts.push(
      settled
        ? `HALS warm-up ${length ?? `≥ ${p.warmup}`} (until settled, tol ${p.warmupTol})`
        : `HALS warm-up ${length}`,
    );
  }
  const converged =
    run.converged === true ? ' (converged)' : run.converged === false ? ' (not converged)' : '';
  parts.push(`${run.iterations ?? '—'} iterations${converged}`, `final loss ${formatValue(run.loss)}`);
  if (run.loglik !== null) parts.push(`log-likelihood ${formatValue(run.loglik)}`);
  parts.push(formatDuration(run.seconds === null ? null : run.seconds * 1000), formatDate(run.createdAt));
  return parts.join(' · ');
}

/**
 * W with each component (column) scaled to a maximum of 1, so weak components read as clearly as
 * strong ones; an all-zero column stays zero.
 * @param W m × k row-major
 * @returns m × k row-major
 */
export function scaleColumnsToMax(W: ArrayLike<number>, m: number, k: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let c = 0; c < k; c++) {
    let max = 0;
    for (let i = 0; i < m; i++) max = Math.max(max, W[i * k + c]);
    for (let i = 0; i < m; i++) out[i * k + c] = max > 0 ? W[i * k + c] / max : 0;
  }
  return out;
}

export interface TopFeatures {
  name: string;
  top: Array<{ feature: string; weight: number }>;
}

/**
 * The `count` largest loadings of each component, by name (a feature without a name is shown by its
 * 1-based row number).
 * @param W m × k row-major
 */
export function topFeaturesByComponent(
  W: Float64Array,
  m: number,
  k: number,
  names: string[],
  featureNames: string[],
  count = 10,
): TopFeatures[] {
  return names.map((name, c) => ({
    name,
    top: topOfColumn(W, m, k, c, count).map((i) => ({
      feature: featureNames[i] ?? String(i + 1),
      weight: W[i * k + c],
    })),
  }));
}

/** The convergence chart: loss per recorded iteration, with the warm-up hand-over marked once passed. */
export function lossChartSpec(
  runId: number,
  trace: Array<[number, number]>,
  handover: number | null,
  color: (series: number) => string,
): ChartSpec & { kind: 'line' } {
  return {
    kind: 'line',
    title: `Loss of run #${runId}`,
    xLabel: 'iteration',
    yLabel: 'loss',
    logY: true,
    series: [{ label: 'loss', color: color(0), points: trace.map(([x, y]) => ({ x, y })) }],
    // Where the HALS warm-up hands over to multiplicative updates (the loss may step there).
    markers:
      handover !== null && trace.length > 0 && trace[trace.length - 1][0] > handover
        ? [{ x: handover, label: 'HALS → MU', color: color(3) }]
        : [],
  };
}

export { ACTIVATION_BINS, ACTIVATION_MAX_SAMPLES } from '../../../../shared/analysis/run-views';

/** The chart's title: binned ones say so, with the counts. */
function activationTitle(n: number, binCount: number | null): string {
  return binCount !== null
    ? `Activations H over samples: ${n} samples in ${binCount} bins, each bin's lowest and highest value drawn`
    : 'Activations H over samples';
}

/**
 * Each component's activation over the samples, in the clustered order when one is given. Above
 * {@link ACTIVATION_MAX_SAMPLES} samples one point object per sample (k·n of them: 2·10⁶ at
 * 10⁵ cells and k = 20) would hold the renderer for seconds and draw no more than the screen's
 * pixels, so the samples (in display order) are cut into {@link ACTIVATION_BINS} contiguous bins
 * and each bin contributes its lowest and highest value, at those samples' positions: the line's
 * envelope at screen resolution (the min–max decimation of time-series plotting, shared
 * `activationEnvelopes`, which the main process also runs for a summarised H), so a single strong
 * sample still shows. The title states it, with the counts.
 *
 * @param H k × n row-major
 */
export function activationChartSpec(
  H: Float64Array,
  n: number,
  names: string[],
  order: ArrayLike<number> | null,
  color: (series: number) => string,
  maxSamples = ACTIVATION_MAX_SAMPLES,
  bins = ACTIVATION_BINS,
): ChartSpec & { kind: 'line' } {
  if (n > maxSamples)
    return activationChartFromEnvelopes(
      activationEnvelopes(H, names.length, n, order, bins),
      n,
      Math.min(n, bins),
      names,
      order !== null,
      color,
    );
  const at = (c: number, p: number): number => H[c * n + (order ? order[p] : p)];
  return {
    kind: 'line',
    title: activationTitle(n, null),
    xLabel: order ? 'sample (clustered order)' : 'sample / time index',
    yLabel: 'activation',
    series: names.map((label, c) => ({
      label,
      color: color(c),
      points: Array.from({ length: n }, (_, j) => ({ x: j + 1, y: at(c, j) })),
    })),
  };
}

/**
 * The binned activation chart from each component's min–max envelope (`activationEnvelopes`,
 * computed here or, for a summarised H, by the main process).
 */
export function activationChartFromEnvelopes(
  envelopes: ReadonlyArray<{ x: ArrayLike<number>; y: ArrayLike<number> }>,
  n: number,
  binCount: number,
  names: string[],
  ordered: boolean,
  color: (series: number) => string,
): ChartSpec & { kind: 'line' } {
  return {
    kind: 'line',
    title: activationTitle(n, binCount),
    xLabel: ordered ? 'sample (clustered order)' : 'sample / time index',
    yLabel: 'activation',
    series: names.map((label, c) => ({
      label,
      color: color(c),
      points: Array.from(envelopes[c].x, (x, t): ChartPoint => ({ x, y: envelopes[c].y[t] })),
    })),
  };
}

/**
 * Where a threshold falls on the histogram's category axis, whose bins sit at 0, 1, …: within a bin,
 * interpolated between its edges (bin i spans i − ½ … i + ½); past the last edge, at the right end.
 */
export function thresholdPosition(histogram: AssignmentView['histogram'], threshold: number): number {
  const { edges, counts } = histogram;
  for (let i = 0; i < counts.length; i++)
    if (threshold <= edges[i + 1])
      return i - 0.5 + (threshold - edges[i]) / Math.max(1e-12, edges[i + 1] - edges[i]);
  return counts.length - 0.5;
}

/** The histogram of normalised weights with the membership threshold marked. */
export function weightHistogramSpec(
  histogram: AssignmentView['histogram'],
  threshold: number,
  color: (series: number) => string,
): ChartSpec & { kind: 'bar' } {
  const { edges, counts } = histogram;
  return {
    kind: 'bar',
    title: 'Normalised weights of features on components',
    xLabel: 'normalised weight',
    yLabel: 'entries',
    logY: false,
    categories: counts.map((_, i) => `${edges[i].toFixed(2)}–${edges[i + 1].toFixed(2)}`),
    series: [{ label: 'entries', color: color(4), points: counts.map((c, i) => ({ x: i, y: c })) }],
    markers: [
      {
        x: thresholdPosition(histogram, threshold),
        label: `threshold ${threshold.toFixed(2)}`,
        color: '#D55E00',
      },
    ],
  };
}

/** "C1 + C3": components by 1-based number, joined. */
export function componentList(components: number[], joiner = ', '): string {
  return components.map((c) => `C${c + 1}`).join(joiner);
}

/** "M1→C2, M2→none": which component the fit matched to each planted module. */
export function truthMapping(componentOfModule: number[]): string {
  return componentOfModule.map((c, m) => `M${m + 1}→${c >= 0 ? `C${c + 1}` : 'none'}`).join(', ');
}

/** "M3", or "—" for a feature in no planted module. */
export function plantedModuleLabel(module: number | null): string {
  return module === null || module < 0 ? '—' : `M${module + 1}`;
}

export interface ModuleRow {
  index: number;
  name: string;
  modules: number[];
  /** The planted module (0-based, −1 none), null without a planted truth. */
  truth: number | null;
  moonlighting: boolean;
}

/**
 * The assignment table's rows: features whose name contains the search (any case), only the
 * moonlighting ones when asked, in the data's order.
 */
export function moduleRows(
  assignment: AssignmentView,
  search: string,
  onlyMoonlighting: boolean,
): ModuleRow[] {
  const needle = search.trim().toLowerCase();
  const moon = new Set(assignment.moonlighting);
  const rows: ModuleRow[] = [];
  for (let i = 0; i < assignment.featureNames.length; i++) {
    if (onlyMoonlighting && !moon.has(i)) continue;
    const name = assignment.featureNames[i];
    if (needle && !name.toLowerCase().includes(needle)) continue;
    rows.push({
      index: i,
      name,
      modules: assignment.modules[i],
      truth: assignment.truth ? assignment.truth.truthModule[i] : null,
      moonlighting: moon.has(i),
    });
  }
  return rows;
}

/** "random (seed 1): 12.3456 · nndsvda (seed 0): 11.9876": where each replicate started and ended. */
export function replicateStartsLine(starts: NonNullable<RunProvenance['replicateStarts']>): string {
  return starts.map((r) => `${r.init} (seed ${r.seed}): ${r.loss.toPrecision(6)}`).join(' · ');
}

/** Column names of a summarised H map: the display positions each block spans ("1–834"). */
export function blockLabels(edges: ArrayLike<number>): string[] {
  return Array.from({ length: edges.length - 1 }, (_, c) =>
    edges[c + 1] - edges[c] === 1 ? `${edges[c] + 1}` : `${edges[c] + 1}–${edges[c + 1]}`,
  );
}

/**
 * What a summarised H map says under its title: how many samples each of its columns stands for,
 * and that zoom stops there ("100000 samples in 1200 columns, each the largest entry of 83–84
 * samples (in the dominant-component order); zoom and hover reach these blocks, not single
 * samples").
 */
export function summaryMapNote(n: number, edges: ArrayLike<number>, ordered: boolean): string {
  const columns = edges.length - 1;
  let small = Infinity;
  let large = 0;
  for (let c = 0; c < columns; c++) {
    small = Math.min(small, edges[c + 1] - edges[c]);
    large = Math.max(large, edges[c + 1] - edges[c]);
  }
  const size = small === large ? `${small}` : `${small}–${large}`;
  return (
    `${n} samples in ${columns} columns, each the largest entry of ${size} samples` +
    `${ordered ? ' (in the dominant-component order)' : ''}; zoom and hover reach these blocks, not single samples`
  );
}

/** "C1 412 · C2 388 · …": how many samples each component dominates. */
export function dominantCountsLine(counts: readonly number[], names: readonly string[]): string {
  return counts.map((count, c) => `${names[c] ?? `C${c + 1}`} ${count}`).join(' · ');
}
