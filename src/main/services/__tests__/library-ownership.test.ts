import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '..';
import { openLibrary } from '../../db/connection';
import { LIBRARY_APPLICATION_ID } from '../../db/identity';
import { call } from './harness';

/**
 * Several processes on one library. The fit runs in this process (as the app or `serve` would);
 * the CLI runs as real child processes (out/main/cli.js), so the library is shared across
 * processes exactly as in use: a command started during a fit must not touch the fit's state, and
 * a file that is not ours must come out of every command byte for byte as it went in.
 */
const cli = join(process.cwd(), 'out', 'main', 'cli.js');
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const open: Services[] = [];
const dirs: string[] = [];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" before the unit tests`);
});

afterEach(async () => {
  for (const services of open.splice(0)) await services.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) {
    chmodTree(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

function chmodTree(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) chmodTree(join(dir, entry.name));
    else chmodSync(join(dir, entry.name), 0o644);
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-owners-'));
  dirs.push(dir);
  return dir;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `nmf-studio` as a child process (optionally as another user, to make read-only real for root). */
function runCli(args: string[], asUser?: { uid: number; gid: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, NMF_STUDIO_CLI: '1', HOME: tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asUser ?? {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 90_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The files in a folder, to see that nothing was left beside a refused file. */
function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

function smallTsv(dir: string): string {
  const path = join(dir, 'small.tsv');
  const lines = ['gene\ts1\ts2\ts3'];
  for (let i = 0; i < 6; i++) lines.push(`g${i}\t${i + 1}\t${(i * 3) % 5}\t${i % 2}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('one library, several processes', () => {
  it('CLI commands during a running fit leave it running, and it ends done', async () => {
    const dir = tempDir();
    const path = join(dir, 'library.sqlite');
    const app = createServices({ libraryPath: path, workerPath, mode: 'browser', threads: 1 });
    open.push(app);
    const { dataset } = await call<{ dataset: { id: number } }>(app, 'datasets:synthesize', {
      features: 300,
      samples: 150,
      rank: 4,
      seed: 7,
    });
    const run = await call<{ id: number }>(app, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, maxIter: 30000, tol: 0 },
    });
    await waitFor(() => app.ctx.jobs.list().some((j) => j.id === run.id && j.iteration > 0));
    const state = (): string =>
      (app.ctx.db.prepare('SELECT state FROM runs WHERE id = ?').get(run.id) as { state: string }).state;

    // Read-only commands, and a command that writes (an import registers its own process as an
    // owner), all at once while the fit runs.
    const [listed, shown, imported] = await Promise.all([
      runCli(['datasets', 'list', '--db', path]),
      runCli(['runs', 'show', String(run.id), '--db', path]),
      runCli(['import', smallTsv(dir), '--db', path]),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    // The concurrent import may or may not have stored its dataset before the listing read.
    const listedIds = (JSON.parse(listed.stdout) as Array<{ id: number }>).map((d) => d.id);
    expect(listedIds).toContain(dataset.id);
    expect(listedIds.length).toBeLessThanOrEqual(2);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).state).toBe('running');
    expect(imported.code, imported.stderr).toBe(0);
    expect(state()).toBe('running');

    await waitFor(() => state() === 'done' && true);
    const row = app.ctx.db
      .prepare('SELECT state, w IS NOT NULL AS stored FROM runs WHERE id = ?')
      .get(run.id);
    expect(row).toEqual({ state: 'done', stored: 1 });
    // The import's process removed its owner row when it ended: only this process's remains.
    expect(app.ctx.db.prepare('SELECT COUNT(*) AS n FROM library_owners').get()).toEqual({ n: 1 });
  });

  it("refuses another program's SQLite files and a newer library, leaving them byte-identical", async () => {
    const dir = tempDir();
    const tsv = smallTsv(dir);
    const cases: Array<{ name: string; make: (path: string) => void; message: RegExp }> = [
      {
        name: 'notes.sqlite',
        // Another program's database in rollback-journal mode.
        make: (p) => {
          const db = new Database(p);
          db.exec(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES (1, 'x')",
          );
          db.close();
        },
        message:
          /notes\.sqlite is not an NMF Studio library: it is another program's SQLite database \(tables: notes\)/,
      },
      {
        name: 'their-datasets.sqlite',
        // Its own `datasets` table, in WAL mode (the journal-mode switch used to happen before the check).
        make: (p) => {
          const db = new Database(p);
          db.pragma('journal_mode = WAL');
          db.exec(
            "CREATE TABLE datasets (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO datasets VALUES (1, 'x')",
          );
          db.close();
        },
        message: /is not an NMF Studio library: it is another program's SQLite database \(tables: datasets\)/,
      },
      {
        name: 'tagged.sqlite',
        make: (p) => {
          const db = new Database(p);
          db.pragma('application_id = 1234');
          db.exec('CREATE TABLE t (x)');
          db.close();
        },
        message: /belongs to another program \(SQLite application_id 0x4d2\)/,
      },
      {
        name: 'text.sqlite',
        make: (p) => writeFileSync(p, 'gene\tsample\n'.repeat(50)),
        message: /is not an NMF Studio library: not an SQLite database/,
      },
      {
        name: 'newer.sqlite',
        // A library from a newer NMF Studio, left in WAL mode as a running app leaves it.
        make: (p) => {
          openLibrary(p).close();
          const db = new Database(p);
          db.pragma('user_version = 9990');
          db.close();
        },
        message: /written by a newer NMF Studio \(schema version 9990/,
      },
    ];
    for (const c of cases) {
      const sub = join(dir, c.name.replace(/\W/g, '-'));
      mkdirSync(sub);
      const path = join(sub, c.name);
      c.make(path);
      const before = sha256(path);
      const files = listing(sub);
      const commands = [
        ['datasets', 'list', '--db', path],
        ['import', tsv, '--db', path],
      ];
      for (const args of commands) {
        const result = await runCli(args);
        expect(result.code, `${c.name} ${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(c.message);
        expect(sha256(path), c.name).toBe(before);
        expect(listing(sub), `${c.name}: files beside it`).toEqual(files);
      }
      // The same through the services the app and the server use.
      expect(() => createServices({ libraryPath: path, workerPath, mode: 'browser' })).toThrow(c.message);
      expect(sha256(path)).toBe(before);
    }
  });

  it('lists a library that is a read-only file in a read-only folder', async () => {
    // No library yet: an empty list, and no file is created by reading.
    const nowhere = join(tempDir(), 'none', 'library.sqlite');
    const empty = await runCli(['datasets', 'list', '--db', nowhere]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    expect(existsSync(nowhere)).toBe(false);

    for (const atRest of ['closed cleanly', 'left in WAL mode by a crash'] as const) {
      const dir = tempDir();
      const libDir = join(dir, 'lib');
      mkdirSync(libDir);
      const path = join(libDir, 'library.sqlite');
      const imported = await runCli(['import', smallTsv(dir), '--db', path, '--name', 'counts']);
      expect(imported.code, imported.stderr).toBe(0);
      if (atRest === 'left in WAL mode by a crash') {
        const db = new Database(path);
        db.pragma('journal_mode = WAL');
        db.close();
      }
      // The header says whose file it is (offset 68, big-endian; read without opening it in SQLite).
      expect(readFileSync(path).readUInt32BE(68)).toBe(LIBRARY_APPLICATION_ID);
      chmodSync(path, 0o444);
      chmodSync(libDir, 0o555);
      chmodSync(dir, 0o755);
      const before = sha256(path);
      // As root every file is writable: run as an unprivileged user so "read-only" is real.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
      const listed = await runCli(['datasets', 'list', '--db', path], asUser);
      expect(listed.code, `${atRest}: ${listed.stderr}`).toBe(0);
      expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((d) => d.name)).toEqual(['counts']);
      const shown = await runCli(['datasets', 'show', '1', '--db', path], asUser);
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout).rows).toBe(6);
      expect(sha256(path)).toBe(before);
      expect(listing(libDir)).toEqual(['library.sqlite']);
      // A command that writes says why it cannot.
      const refused = await runCli(['import', smallTsv(dir), '--db', path], asUser);
      expect(refused.code).not.toBe(0);
      expect(sha256(path)).toBe(before);
    }
  });
});
