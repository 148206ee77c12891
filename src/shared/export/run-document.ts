import type { AssignmentView, RunDetail } from '../domain';

/**
 * The "JSON with provenance" export of a run: the record, the factors with their shapes, the
 * provenance, and the module assignment at the threshold shown (null when there is none). The main
 * process writes it with `jsonPieces` (run-export.ts); W (m × k) and H (k × n) are the library's,
 * as fitted, never downsampled.
 */
export function runExportDocument(run: RunDetail, assignment: AssignmentView | null, exportedAt: Date) {
  const { W, H, ...rest } = run;
  const k = run.params.rank;
  return {
    format: 'nmf-studio-run',
    run: rest,
    shapes: { W: [run.rows, k], H: [k, run.cols] },
    W,
    H,
    provenance: run.provenance,
    assignment: assignment
      ? {
          threshold: assignment.threshold,
          modules: assignment.modules,
          moonlighting: assignment.moonlighting,
          truth: assignment.truth,
        }
      : null,
    exportedAt: exportedAt.toISOString(),
  };
}
