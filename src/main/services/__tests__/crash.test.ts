import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { createServices } from '..';

/**
 * Crash safety: a real `nmf-studio` process is killed with SIGKILL at random moments while it
 * imports a file or fits, many times, and the library must stay consistent every time: SQLite's
 * integrity and foreign keys hold, every dataset has all of its matrix bytes, no run is `done`
 * without its factors, and after the next start nothing is left `running`.
 */
const cli = join(process.cwd(), 'out', 'main', 'cli.js');
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
let dir: string;
let matrixPath: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" before the unit tests`);
  dir = mkdtempSync(join(tmpdir(), 'nmf-crash-'));
  matrixPath = join(dir, 'counts.tsv');
  const rng = new Rng(11);
  const rows = 1500;
  const cols = 300;
  const lines = ['gene\t' + Array.from({ length: cols }, (_, j) => `s${j + 1}`).join('\t')];
  for (let i = 0; i < rows; i++) {
    const cells = new Array<string>(cols);
    for (let j = 0; j < cols; j++) cells[j] = String(rng.poisson(5 + (i % 7) * ((j % 5) + 1)));
    lines.push(`g${i + 1}\t${cells.join('\t')}`);
  }
  writeFileSync(matrixPath, lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the CLI, waits for `ready` (if given) and then `afterMs`, and kills it with SIGKILL. */
function runAndKill(args: string[], afterMs: number, ready?: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, NMF_STUDIO_CLI: '1' },
      stdio: 'ignore',
    });
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    };
    if (ready) {
      const started = Date.now();
      const poll = setInterval(() => {
        if (ready() || Date.now() - started > 20_000) {
          clearInterval(poll);
          arm();
        }
      }, 25);
      child.on('exit', () => clearInterval(poll));
    } else {
      arm();
    }
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Whether a run is marked running in the library (read-only look, as another process would). */
function someRunRunning(dbPath: string): boolean {
  if (!existsSync(dbPath)) return false;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (
        (db.prepare("SELECT COUNT(*) AS n FROM runs WHERE state = 'running'").get() as { n: number }).n > 0
      );
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

function checkConsistent(dbPath: string): { datasets: number; runs: Array<{ state: string }> } {
  const db = new Database(dbPath);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const datasets = db.prepare('SELECT id, rows, cols, layout, nnz FROM datasets').all() as Array<{
      id: number;
      rows: number;
      cols: number;
      layout: string;
    }>;
    for (const d of datasets) {
      const bytes = (
        db
          .prepare(
            "SELECT COALESCE(SUM(length(data)), 0) AS n FROM dataset_chunks WHERE dataset_id = ? AND part = 'values'",
          )
          .get(d.id) as { n: number }
      ).n;
      if (d.layout === 'dense') expect(bytes).toBe(d.rows * d.cols * 8);
      else expect(bytes).toBeGreaterThan(0);
    }
    const runs = db.prepare('SELECT state, w, h, trace FROM runs').all() as Array<{
      state: string;
      w: Buffer | null;
      h: Buffer | null;
      trace: Buffer | null;
    }>;
    for (const run of runs) {
      if (run.state === 'done') {
        expect(run.w).not.toBeNull();
        expect(run.h).not.toBeNull();
        expect(run.trace).not.toBeNull();
      } else {
        expect(run.w).toBeNull();
      }
    }
    return { datasets: datasets.length, runs };
  } finally {
    db.close();
  }
}

describe('killing the process', () => {
  it('during imports and fits, at random moments, never leaves an inconsistent library', async () => {
    const rng = new Rng(2024);
    const dbPath = join(dir, 'library.sqlite');
    for (let round = 0; round < 10; round++) {
      if (round % 2 === 0) {
        // Imports: anywhere from start-up through reading to the final transaction.
        const args = [
          'import',
          matrixPath,
          '--db',
          dbPath,
          '--name',
          `round ${round}`,
          '--transform',
          round % 4 === 0 ? 'sqrt' : 'log1p',
        ];
        await runAndKill(args, 50 + Math.floor(rng.uniform() * 1500));
      } else {
        // Fits: once the run is running, at a random moment of its iterations.
        const args = [
          'fit',
          matrixPath,
          '--rank',
          '6',
          '--max-iter',
          '100000',
          '--tol',
          '0',
          '--seed',
          String(round),
          '--db',
          dbPath,
          '--out',
          join(dir, `out${round}`),
        ];
        const before = someRunRunning(dbPath);
        expect(before).toBe(false);
        await runAndKill(args, Math.floor(rng.uniform() * 500), () => someRunRunning(dbPath));
        expect(someRunRunning(dbPath)).toBe(true);
        // Mark it interrupted now, as the next start would, so the next round can see its own run start.
        const services = createServices({ libraryPath: dbPath, workerPath, mode: 'cli', threads: 1 });
        await services.close();
      }
      if (existsSync(dbPath)) checkConsistent(dbPath);
    }
    const after = checkConsistent(dbPath);
    expect(after.runs.filter((r) => r.state === 'running' || r.state === 'queued')).toEqual([]);
    expect(after.runs.filter((r) => r.state === 'interrupted').length).toBe(5);
  }, 120_000);
});
