import { sep } from 'node:path';

/**
 * Where electron-builder puts a file listed in `asarUnpack`: the same relative path under
 * `app.asar.unpacked` beside `app.asar`. Paths outside an archive (development, `asar: false`)
 * are returned unchanged.
 */
export function unpackedPath(path: string): string {
  const marker = `${sep}app.asar${sep}`;
  const at = path.indexOf(marker);
  if (at < 0) return path;
  return `${path.slice(0, at)}${sep}app.asar.unpacked${sep}${path.slice(at + marker.length)}`;
}

/**
 * The worker entry to start. Worker threads started from inside app.asar cannot be relied on to
 * resolve ES-module imports there, so electron-builder.yml unpacks the worker with everything it
 * imports, and the unpacked copy is preferred whenever it exists.
 */
export function workerEntryPath(bundledPath: string, exists: (path: string) => boolean): string {
  const unpacked = unpackedPath(bundledPath);
  return unpacked !== bundledPath && exists(unpacked) ? unpacked : bundledPath;
}
