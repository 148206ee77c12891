import { ServiceError } from '../../shared/api';
import type { DownloadTicket } from '../../shared/api/transfer';
import type { AssignmentView } from '../../shared/domain';
import { countTypedValues, jsonPieces, JSON_PIECE_CHARS } from '../../shared/export/json-stream';
import { runExportDocument } from '../../shared/export/run-document';
import { assignRunModules } from './analysis';
import type { ServiceContext } from './context';
import { offerDownload, textSource } from './downloads';
import { getRunDetail } from './runs';

/**
 * The Run screen's "JSON with provenance", made here rather than in the window: the window held the
 * run's W and H as sent by `runs:get` and turned the document into one string, ~0.48 GB of text for
 * H at k = 20 × 10⁶ samples (V8's longest string is 2²⁹ − 24 characters, so a few more components
 * or digits made the export fail with no file and no message). Here the document is the same
 * (`runExportDocument`, with the module assignment the screen shows, recomputed at its threshold)
 * and its text is the same to the last character (`jsonPieces` = JSON.stringify with typed arrays
 * as lists, indent 2), written a piece at a time from the library's W and H as fitted.
 */

/** File name of a run's JSON export, as the Run screen has always named it. */
export function runJsonFileName(id: number): string {
  return `run-${id}.json`;
}

/**
 * The document of a done run, as the window built it: the stored run, and the assignment at
 * `threshold` (the default threshold when not given; null when the assignment cannot be made).
 */
export function runJsonDocument(
  ctx: ServiceContext,
  id: number,
  threshold: number | undefined,
  exportedAt: Date,
) {
  const run = getRunDetail(ctx, id);
  if (run.state !== 'done' || !run.W || !run.H)
    throw new ServiceError(
      'conflict',
      `run ${id} is ${run.state}: only a finished run has factors to export`,
    );
  let assignment: AssignmentView | null = null;
  try {
    assignment = assignRunModules(ctx, id, threshold);
  } catch (error) {
    // The screen exported with no assignment when it had none; a run always has W, so this is rare.
    if (!(error instanceof ServiceError)) throw error;
  }
  return runExportDocument(run, assignment, exportedAt);
}

/** Offers a run's JSON as a download made piece by piece (`downloads:read`). */
export async function offerRunJson(
  ctx: ServiceContext,
  id: number,
  threshold: number | undefined,
  pieceChars = JSON_PIECE_CHARS,
): Promise<DownloadTicket> {
  const document = runJsonDocument(ctx, id, threshold, new Date(ctx.now()));
  const total = countTypedValues(document);
  let written = 0;
  const pieces = jsonPieces(document, { indent: 2, pieceChars, onTypedValues: (count) => (written = count) });
  return offerDownload(
    ctx,
    textSource(runJsonFileName(id), 'application/json', pieces, () => (total === 0 ? 0 : written / total)),
  );
}
