import type { AnnotationColumn } from '../../../shared/domain';
import type { Track } from './figure';

/** Helpers shared by the screens that read components against annotations. */

/** A sample (or feature) annotation as a figure track, in the given display order. */
export function trackOf(column: AnnotationColumn, order: readonly number[]): Track {
  return column.kind === 'categorical'
    ? {
        name: column.name,
        kind: 'categorical',
        levels: column.levels,
        values: order.map((j) => column.values[j]),
      }
    : { name: column.name, kind: 'numeric', values: order.map((j) => column.values[j]) };
}

/** Cluster labels as a categorical track ("1", "2", …), in display order. */
export function clusterTrack(name: string, clusters: readonly number[], k: number): Track {
  return {
    name,
    kind: 'categorical',
    levels: Array.from({ length: k }, (_, c) => String(c + 1)),
    values: clusters.map((c) => String(c + 1)),
  };
}

/** A stable order of samples: by cluster, then by the value within (descending), then index. */
export function orderByCluster(clusters: readonly number[], score: (j: number) => number): number[] {
  return clusters.map((_, j) => j).sort((a, b) => clusters[a] - clusters[b] || score(b) - score(a) || a - b);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of values as CSV text (header first). */
export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
): string {
  const line = (cells: ReadonlyArray<string | number | null>): string =>
    cells
      .map((c) =>
        c === null ? '' : typeof c === 'number' ? (Number.isFinite(c) ? String(c) : '') : csvField(c),
      )
      .join(',');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
