import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '@playwright/test';

/**
 * Starts the real browser-mode server (`node out/main/cli.js serve`) on a free port and a library
 * file of its own, as a user would. `restart()` stops it and starts it again on the same library.
 */
export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  dbPath: string;
  dir: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<RunningServer>;
  /** Removes the temporary folder (after stop). */
  cleanup(): void;
}

/** Where the server keeps its library (a new temporary folder when absent) and its worker threads. */
export interface ServerOptions {
  dir?: string;
  threads?: number;
}

const cli = join(process.cwd(), 'out', 'main', 'cli.js');

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'nmf-e2e-'));
  const dbPath = join(dir, 'library.sqlite');
  const args = [cli, 'serve', '--db', dbPath, '--port', '0'];
  if (options.threads) args.push('--threads', String(options.threads));
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NMF_STUDIO_CLI: '1', TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`server did not start in 30 s; stderr: ${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; stderr: ${stderr}`));
    });
  });
  const parsed = new URL(url);
  const server: RunningServer = {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dbPath,
    dir,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    restart: async () => {
      await server.stop();
      return startServer({ ...options, dir });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return server;
}

/** Stops a server if one was started and removes its folder: what every spec's afterAll does. */
export async function stopAndRemove(server: RunningServer | undefined): Promise<void> {
  await server?.stop();
  server?.cleanup();
}

/**
 * One server for the tests of this spec file: started in a beforeAll hook registered here, stopped
 * and its folder removed in an afterAll hook. `options` may be a function, run in that beforeAll
 * before the server starts, that fills the library's folder first and returns the options. Returns
 * a getter for the running server, to be called in tests and in hooks registered after this call.
 */
export function serverForThisFile(
  options: ServerOptions | (() => ServerOptions | Promise<ServerOptions>) = {},
): () => RunningServer {
  let server: RunningServer | undefined;
  test.beforeAll(async () => {
    server = await startServer(typeof options === 'function' ? await options() : options);
  });
  test.afterAll(() => stopAndRemove(server));
  return () => {
    if (!server) throw new Error('the server of this spec file has not started');
    return server;
  };
}
