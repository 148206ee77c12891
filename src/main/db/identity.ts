/**
 * How an NMF Studio library is recognised before anything is written to it. SQLite keeps a 32-bit
 * `application_id` in the file header for exactly this (sqlite.org/pragma.html#pragma_application_id);
 * ours spells "NMFS" in ASCII. Libraries made before it was set (schema versions 10–30) are
 * recognised by their tables and columns instead.
 */
export const LIBRARY_APPLICATION_ID = 0x4e4d4653;

/** Tables (with the columns we rely on) that each legacy schema version has. */
const LEGACY_TABLES: ReadonlyArray<{ since: number; table: string; columns: readonly string[] }> = [
  {
    since: 10,
    table: 'datasets',
    columns: ['id', 'name', 'rows', 'cols', 'nnz', 'layout', 'hash', 'row_names', 'col_names'],
  },
  { since: 10, table: 'dataset_chunks', columns: ['dataset_id', 'part', 'seq', 'data'] },
  { since: 20, table: 'sweeps', columns: ['id', 'dataset_id', 'state', 'params', 'jobs_total'] },
  { since: 20, table: 'sweep_jobs', columns: ['sweep_id', 'job_key', 'result'] },
  { since: 30, table: 'runs', columns: ['id', 'dataset_id', 'sweep_id', 'state', 'params', 'w', 'h'] },
];

/** What an existing SQLite file says about itself, read without writing. */
export interface FileFacts {
  applicationId: number;
  userVersion: number;
  /** Every table (not index, not internal sqlite_ table) with its column names. */
  tables: ReadonlyMap<string, readonly string[]>;
}

export type Classification =
  | { kind: 'empty' }
  | { kind: 'ours'; version: number }
  | { kind: 'newer'; version: number }
  | { kind: 'foreign'; reason: string };

/**
 * Decides, from the header and the schema alone, whether a file is an NMF Studio library this
 * version may open. Pure, so every case is unit-tested.
 */
export function classifyLibrary(facts: FileFacts, latestVersion: number): Classification {
  const { applicationId, userVersion, tables } = facts;
  if (applicationId !== 0 && applicationId !== LIBRARY_APPLICATION_ID) {
    return {
      kind: 'foreign',
      reason: `it belongs to another program (SQLite application_id 0x${(applicationId >>> 0).toString(16)})`,
    };
  }
  if (applicationId === LIBRARY_APPLICATION_ID) {
    if (userVersion > latestVersion) return { kind: 'newer', version: userVersion };
    if (!tables.has('datasets'))
      return { kind: 'foreign', reason: 'it is marked as an NMF Studio library but has no datasets table' };
    return { kind: 'ours', version: userVersion };
  }
  // No application id: a new, empty file, or a library from before the id was set.
  if (userVersion === 0) {
    if (tables.size === 0) return { kind: 'empty' };
    const names = [...tables.keys()].slice(0, 5).join(', ');
    return { kind: 'foreign', reason: `it is another program's SQLite database (tables: ${names})` };
  }
  if (![10, 20, 30].includes(userVersion)) {
    return {
      kind: 'foreign',
      reason: `its schema version ${userVersion} is not one NMF Studio ever wrote without its application id`,
    };
  }
  for (const expected of LEGACY_TABLES) {
    if (expected.since > userVersion) continue;
    const columns = tables.get(expected.table);
    if (!columns)
      return {
        kind: 'foreign',
        reason: `it has no ${expected.table} table, which an NMF Studio library has`,
      };
    const missing = expected.columns.filter((c) => !columns.includes(c));
    if (missing.length)
      return {
        kind: 'foreign',
        reason: `its ${expected.table} table lacks ${missing.join(', ')}, which an NMF Studio library has`,
      };
  }
  return { kind: 'ours', version: userVersion };
}
