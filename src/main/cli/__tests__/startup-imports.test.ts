import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';

/**
 * What the built command line loads to run a `fit`, watched in a child process through a module
 * resolve hook, and what it writes, compared with the same fit run in-process from the sources.
 * `ml-matrix` is PCA's only (shared/analysis/pca.ts, loaded when a PCA runs) and zod is bundled
 * into the build (electron.vite.config.ts): loading either from node_modules cost every command
 * tens to hundreds of milliseconds before it did anything.
 */

const root = process.cwd();
const bin = join(root, 'bin', 'nmf-studio.js');
const matrix = join(root, 'e2e', 'fixtures', 'modules_small.tsv');
const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  const built = join(root, 'out', 'main', 'cli.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" before the unit tests`);
  dir = mkdtempSync(join(tmpdir(), 'nmf-startup-'));
  // Every module URL the process (and its worker threads, which inherit --import) resolves.
  writeFileSync(
    join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function resolve(specifier, context, next) {\n' +
      '  const result = await next(specifier, context);\n' +
      "  appendFileSync(process.env.NMF_IMPORT_LOG, result.url + '\\n');\n" +
      '  return result;\n' +
      '}\n',
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    "import { register } from 'node:module';\n" +
      `register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built `nmf-studio fit` in a child process: the URLs it resolved, and its output folder. */
async function builtFit(out: string): Promise<string[]> {
  const log = join(dir, 'imports.log');
  rmSync(log, { force: true });
  await run(
    process.execPath,
    [
      '--import',
      pathToFileURL(join(dir, 'register.mjs')).href,
      bin,
      'fit',
      matrix,
      ...['--rank', '3', '--max-iter', '30', '--seed', '4', '--no-save', '--out', out],
    ],
    { env: { ...process.env, NMF_IMPORT_LOG: log }, timeout: 120_000 },
  );
  return readFileSync(log, 'utf8').trim().split('\n');
}

/**
 * `run.json` without what differs from one run to the next (times, library ids, dates); the
 * times of the trace points are kept as their count.
 */
function comparable(path: string): unknown {
  const { seconds, run_id, trace_seconds, provenance, ...rest } = JSON.parse(
    readFileSync(path, 'utf8'),
  ) as Record<string, unknown>;
  void seconds;
  void run_id;
  const { createdAt, traceSeconds, ...kept } = provenance as Record<string, unknown>;
  void createdAt;
  return {
    ...rest,
    provenance: kept,
    traceTimes: [(trace_seconds as unknown[] | null)?.length, (traceSeconds as unknown[] | null)?.length],
  };
}

describe('the built command line', () => {
  it('runs a fit without loading ml-matrix or zod from node_modules, and writes what the sources write', async () => {
    const builtOut = join(dir, 'built');
    const urls = await builtFit(builtOut);
    // The hook saw the run: the command line and the worker entry were resolved through it.
    expect(urls.some((url) => url.endsWith('/out/main/cli.js'))).toBe(true);
    expect(urls.some((url) => url.endsWith('/out/main/nmf.worker.js'))).toBe(true);
    const packages = new Set(
      urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []),
    );
    expect(packages.has('ml-matrix'), 'ml-matrix is loaded by a fit').toBe(false);
    expect(packages.has('zod'), 'zod is loaded from node_modules, not bundled').toBe(false);

    const sourceOut = join(dir, 'source');
    const outcome = await cli(
      'fit',
      matrix,
      ...['--rank', '3', '--max-iter', '30', '--seed', '4', '--no-save', '--out', sourceOut],
    );
    expect(outcome.code, outcome.stderr).toBe(0);
    for (const file of ['W.tsv', 'H.tsv']) {
      expect(readFileSync(join(builtOut, file)).equals(readFileSync(join(sourceOut, file))), file).toBe(true);
    }
    expect(comparable(join(builtOut, 'run.json'))).toEqual(comparable(join(sourceOut, 'run.json')));
  }, 180_000);
});
