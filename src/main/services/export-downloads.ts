import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterJobArchive, LibraryFile } from '../../shared/api/channels';
import type { ServiceContext } from './context';
import { writeClusterArchive, type PlannedArchive } from './cluster-archive';
import type { FolderWriteControl } from './cluster-progress';
import { cancelDownload, fileSource, offerDownload } from './downloads';

/**
 * The app's file exports as downloads read in pieces (downloads.ts): a cluster job archive and a
 * copy of the library. Each used to cross the boundary as one byte array (a 10⁶-cell job folder's
 * data.nmf is ~2.4 GB; so is the library holding it).
 */

/**
 * A planned job folder (cluster-archive.ts) written to a private temporary folder and archived as a
 * .tar.gz beside it (`writeClusterArchive`: data.nmf streamed from the library, the archive written
 * through a gzip stream, files read from disk in pieces — neither the data, the tar nor the archive
 * held whole), then offered in pieces and removed once downloaded, cancelled or failed. With
 * `control` (cluster-export.ts) the making reports its steps and stops when the signal is aborted:
 * between pieces while it is made, or before the archive is offered (an offer made meanwhile is
 * withdrawn); the temporary folder and the partial archive are removed either way.
 */
export async function offerClusterArchive(
  ctx: ServiceContext,
  planned: PlannedArchive,
  control: FolderWriteControl = {},
): Promise<ClusterJobArchive> {
  const dir = await mkdtemp(join(ctx.app.tempDir, 'nmf-cluster-export-'));
  try {
    const path = join(dir, 'job.tar.gz');
    const byteLength = await writeClusterArchive(planned, dir, path, control);
    control.signal?.throwIfAborted();
    const download = await offerDownload(
      ctx,
      await fileSource(planned.fileName, 'application/gzip', path, dir),
    );
    if (control.signal?.aborted) {
      // Cancelled while the offer was being made: the download's own close removes the folder.
      await cancelDownload(ctx, download.downloadId);
      control.signal.throwIfAborted();
    }
    return { fileName: planned.fileName, download, byteLength, fits: planned.fits, tasks: planned.tasks };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A consistent copy of the library (`VACUUM INTO` a private temporary folder), read from disk in
 * pieces and removed once downloaded, cancelled or failed; never read whole into memory.
 */
export async function offerLibraryCopy(ctx: ServiceContext): Promise<LibraryFile> {
  const dir = await mkdtemp(join(ctx.app.tempDir, 'nmf-export-'));
  try {
    const path = join(dir, 'library.sqlite');
    ctx.db.prepare('VACUUM INTO ?').run(path);
    const fileName = `nmf-studio-library-${ctx.now().slice(0, 10)}.sqlite`;
    const source = await fileSource(fileName, 'application/vnd.sqlite3', path, dir);
    const download = await offerDownload(ctx, source);
    return { fileName, download, byteLength: source.totalBytes ?? 0 };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
