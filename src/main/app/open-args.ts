import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which files the app opens when the OS hands it one (file associations, "Open with", the dock,
 * the command line): the formats the importers read. The file associations of the installers are
 * a subset (electron-builder.yml); the others still open through "Open with" or the command line.
 */
export const OPENABLE_EXTENSIONS = ['tsv', 'csv', 'txt', 'gz', 'mtx', 'npy', 'h5ad', 'h5'] as const;

export function isOpenableFile(path: string): boolean {
  const lower = path.toLowerCase();
  return OPENABLE_EXTENSIONS.some((ext) => lower.endsWith('.' + ext));
}

/**
 * The files named in a command line, as absolute paths. `argv[0]` is the executable; in development
 * `argv[1]` is the app folder, which is not an openable file. Switches (`--flag`, macOS's `-psn_…`)
 * are skipped. Linux desktop entries pass `file://` URIs (`Exec=… %U`), which become paths.
 * Relative paths are resolved against `cwd` — for a second instance, *its* working directory,
 * not this process's.
 */
export function filesFromArgv(argv: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    let path = arg;
    if (arg.startsWith('file://')) {
      try {
        path = fileURLToPath(arg);
      } catch {
        continue;
      }
    }
    if (!isOpenableFile(path)) continue;
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    if (!files.includes(absolute)) files.push(absolute);
  }
  return files;
}
