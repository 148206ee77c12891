import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../shared/analysis/cluster-plan';
import { cli } from './in-process';
import { folderWithPlanted, planJobFolder, sweepInto } from './planted';

/**
 * Sweeps on a real one-node SLURM cluster (scripts/slurm-local.sh): planned into 4 array tasks,
 * submitted with sbatch, merged — and byte for byte the local sweep of the same seed. A task killed
 * midway resumes when resubmitted; a merge with a task missing lists it and refuses. A consensus run
 * likewise: planned into 3 tasks, merged with one missing (refused, naming it), completed, and the
 * same files as the local consensus.
 *
 * The cluster: the one named by SLURM_CONF when it answers (CI starts it before the tests), else one
 * this file starts as root with scripts/slurm-local.sh and stops afterwards. Where neither is
 * possible the tests are skipped with the reason — except where NMF_STUDIO_REQUIRE_SLURM is set
 * (.ci/run and the Linux workflows, which start a cluster), where that is a failure. CI alone does
 * not require it: macOS and Windows runners cannot run a SLURM cluster.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const cliSource = join(repo, 'src', 'main', 'cli', 'index.ts');
const tsxLoader = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const builtCli = join(repo, 'out', 'main', 'cli.js');

/** Newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How the nodes run nmf-studio: the built CLI when it is newer than every source file (CI builds
 * before testing; it starts in a fraction of the time), otherwise the sources through tsx.
 */
const nodeCommand: string[] =
  existsSync(builtCli) && statSync(builtCli).mtimeMs > newestMtime(join(repo, 'src'))
    ? [builtCli]
    : ['--import', tsxLoader, cliSource];
const script = join(repo, 'scripts', 'slurm-local.sh');

function answers(conf: string): boolean {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], {
    env: { ...process.env, SLURM_CONF: conf },
    encoding: 'utf8',
  });
  return r.status === 0 && /idle|mixed|allocated/.test(r.stdout);
}

/** Finds or starts a cluster: its SLURM_CONF, whether this file started it, or why there is none. */
function findCluster(): { conf: string; owned: boolean } | { reason: string } {
  if (process.env.SLURM_CONF && answers(process.env.SLURM_CONF))
    return { conf: process.env.SLURM_CONF, owned: false };
  if (spawnSync('sh', ['-c', 'command -v sbatch && command -v slurmctld']).status !== 0)
    return { reason: 'sbatch is not installed (apt-get install slurm-wlm munge)' };
  if (process.getuid?.() !== 0)
    return { reason: 'starting a local SLURM cluster needs root (scripts/slurm-local.sh)' };
  const dir = join(tmpdir(), `nmf-studio-slurm-test-${process.pid}`);
  const env = { ...process.env, NMF_SLURM_DIR: dir, NMF_SLURM_PORT: '6917' };
  const started = spawnSync(script, ['start'], { env, encoding: 'utf8' });
  if (started.status !== 0)
    return { reason: `scripts/slurm-local.sh start failed: ${started.stderr.trim().split('\n').pop()}` };
  return { conf: join(dir, 'slurm.conf'), owned: true };
}

const cluster = findCluster();
const reason = 'reason' in cluster ? cluster.reason : null;
if (reason !== null) {
  if (process.env.NMF_STUDIO_REQUIRE_SLURM)
    throw new Error(`CI must run the SLURM tests, but no cluster is reachable: ${reason}`);
  console.warn(`skipping the SLURM tests: ${reason}`);
}

let dir: string;
let slurmEnv: NodeJS.ProcessEnv;

/** `sbatch --wait …` in the job folder; returns its exit status and output. */
function sbatchWait(jobDir: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync('sbatch', ['--wait', ...args], {
    cwd: jobDir,
    env: slurmEnv,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/**
 * Submits tasks `array` of the job folder's array script, then merge.sbatch after them (afterany),
 * as README.md says; waits for the merge and returns its exit status and output.
 */
function arrayThenMerge(
  jobDir: string,
  array: string,
  script: string,
): { status: number | null; out: string } {
  const arrayJob = spawnSync('sbatch', ['--parsable', `--array=${array}`, script], {
    cwd: jobDir,
    env: slurmEnv,
    encoding: 'utf8',
  });
  expect(arrayJob.status, arrayJob.stderr).toBe(0);
  return sbatchWait(jobDir, [`--dependency=afterany:${arrayJob.stdout.trim()}`, 'merge.sbatch']);
}

const sweepOptions = [
  '--ranks',
  '2..4',
  '--replicates',
  '3',
  '--cv-folds',
  '2',
  '--max-iter',
  '300',
  '--tol',
  '0',
  '--seed',
  '7',
];
const compared = ['ranks.json', ...[2, 3, 4].flatMap((k) => [`k${k}/W.tsv`, `k${k}/H.tsv`])];

function expectSameBytes(a: string, b: string): void {
  for (const file of compared) {
    expect(existsSync(join(b, file)), `${b}/${file} exists`).toBe(true);
    expect(readFileSync(join(b, file)).equals(readFileSync(join(a, file))), `${file} is the same bytes`).toBe(
      true,
    );
  }
}

function sweepsIn(db: string): number {
  if (!existsSync(db)) return 0;
  const handle = new Database(db, { readonly: true });
  try {
    return (handle.prepare('SELECT COUNT(*) AS n FROM sweeps').get() as { n: number }).n;
  } finally {
    handle.close();
  }
}

describe.skipIf(reason !== null)('sweeps on a SLURM cluster', () => {
  beforeAll(async () => {
    if ('reason' in cluster) return;
    dir = await folderWithPlanted('nmf-slurm-', { features: 150, samples: 80, rank: 3, seed: 5 });
    slurmEnv = {
      ...process.env,
      SLURM_CONF: cluster.conf,
      NMF_STUDIO: [process.execPath, ...nodeCommand].join(' '),
      NMF_STUDIO_CLI: '1',
    };
    const local = await sweepInto(dir, 'local', sweepOptions);
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!('reason' in cluster) && cluster.owned)
      spawnSync(script, ['stop'], { env: { ...process.env, NMF_SLURM_DIR: dirname(cluster.conf) } });
  });

  it(
    'a killed task resumes when resubmitted, a merge with a task missing refuses, and the merge equals the local sweep',
    { timeout: 300_000 },
    async () => {
      const job = join(dir, 'job');
      const planned = await planJobFolder('sweep', join(dir, 'syn', 'V.tsv'), sweepOptions, 4, job);
      expect(planned.code, planned.stderr).toBe(0);
      const plan = JSON.parse(readFileSync(join(job, 'plan.json'), 'utf8')) as ClusterPlan;
      expect(plan.tasks).toBe(4);
      expect(plan.fits.some((f) => (f.job as { baseline?: boolean }).baseline)).toBe(true);
      expect(plan.fits.some((f) => (f.job as { kind?: string }).kind === 'fold')).toBe(true);

      // Task 3 runs outside the scheduler and is killed as soon as its first result is written.
      const victim = 3;
      const own = plan.fits.filter((f) => f.task === victim);
      const resultsDir = join(job, 'results');
      const child = spawn(process.execPath, [...nodeCommand, 'sweep-task', job, '--task', String(victim)], {
        env: { ...process.env, NMF_STUDIO_CLI: '1' },
        stdio: 'ignore',
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          const present = own.filter((f) => existsSync(join(resultsDir, f.file)));
          if (present.length > 0) {
            child.kill('SIGKILL');
            clearInterval(timer);
            resolve();
          }
        }, 5);
        child.on('exit', (code) => {
          clearInterval(timer);
          if (code !== null)
            reject(new Error(`task ${victim} ended (status ${code}) before it could be killed`));
          else resolve();
        });
      });
      const doneBefore = own.filter((f) => existsSync(join(resultsDir, f.file)));
      expect(doneBefore.length).toBeGreaterThan(0);
      expect(doneBefore.length).toBeLessThan(own.length);
      const firstMtime = statSync(join(resultsDir, doneBefore[0].file)).mtimeMs;

      // The other three tasks as a SLURM array, and merge.sbatch after it (afterany), as README.md says.
      const mergeJob = arrayThenMerge(job, '0-2', 'sweep.sbatch');
      // The array's tasks succeeded, but task 3 is missing: merge.sbatch refuses and says what to rerun.
      expect(mergeJob.status).not.toBe(0);
      for (let t = 0; t < 3; t++)
        expect(readFileSync(join(job, 'logs', `task-${t}.out`), 'utf8')).toContain('"ran"');
      expect(readFileSync(join(job, 'logs', 'merge.out'), 'utf8')).toContain(
        `sbatch --array=${victim} sweep.sbatch`,
      );
      expect(existsSync(join(job, 'merged', 'ranks.json'))).toBe(false);

      // The merge sees task 3's missing fits, names the command that reruns just it, and stores nothing.
      const mergedDb = join(dir, 'merged.sqlite');
      const refused = await cli('sweep-merge', job, '--db', mergedDb, '--out', join(dir, 'refused'));
      expect(refused.code).toBe(2);
      const missing = own.filter((f) => !doneBefore.includes(f)).map((f) => f.id);
      for (const id of missing) expect(refused.stderr).toContain(id);
      expect(refused.stderr).toContain(`sbatch --array=${victim} sweep.sbatch`);
      expect(existsSync(join(dir, 'refused', 'ranks.json'))).toBe(false);
      expect(sweepsIn(mergedDb)).toBe(0);

      // Resubmitted as the merge says: the task skips what it had finished.
      const rerun = sbatchWait(job, [`--array=${victim}`, 'sweep.sbatch']);
      expect(rerun.status, rerun.out).toBe(0);
      const log = readFileSync(join(job, 'logs', `task-${victim}.out`), 'utf8');
      expect(log).toContain(
        `${own.length} fit(s), ${doneBefore.length} already done, ${own.length - doneBefore.length} to run`,
      );
      expect(statSync(join(resultsDir, doneBefore[0].file)).mtimeMs).toBe(firstMtime);

      const merged = await cli('sweep-merge', job, '--db', mergedDb, '--out', join(dir, 'merged'));
      expect(merged.code, merged.stderr).toBe(0);
      expectSameBytes(join(dir, 'local'), join(dir, 'merged'));
      const provenance = JSON.parse(merged.stdout).cluster as {
        tasks: Array<{ task: number; scheduler: Array<Record<string, string>> }>;
      };
      expect(provenance.tasks.map((t) => t.task)).toEqual([0, 1, 2, 3]);
      expect(provenance.tasks[0].scheduler[0].SLURM_ARRAY_TASK_ID).toBe('0');
      expect(sweepsIn(mergedDb)).toBe(1);
    },
  );
  it(
    'a consensus run planned into tasks, with one missing refused and then merged, equals the local consensus',
    { timeout: 300_000 },
    async () => {
      const consensusOptions = ['--ranks', '2..3', '--replicates', '4', '--max-iter', '200', '--seed', '11'];
      const local = await cli(
        'consensus',
        join(dir, 'syn', 'V.tsv'),
        ...consensusOptions,
        '--db',
        join(dir, 'consensus-local.sqlite'),
        '--out',
        join(dir, 'consensus-local'),
      );
      expect(local.code, local.stderr).toBe(0);
      const job = join(dir, 'consensus-job');
      const planned = await planJobFolder('consensus', join(dir, 'syn', 'V.tsv'), consensusOptions, 3, job);
      expect(planned.code, planned.stderr).toBe(0);
      const plan = JSON.parse(readFileSync(join(job, 'plan.json'), 'utf8')) as ClusterPlan;
      expect(plan.kind).toBe('consensus');
      expect(plan.tasks).toBe(3);
      expect(plan.fits.map((f) => f.id).sort()).toEqual(
        [2, 3].flatMap((k) => [0, 1, 2, 3].map((r) => `k${k}/replicate/${r}`)).sort(),
      );
      expect(existsSync(join(job, 'consensus.sbatch'))).toBe(true);

      // Tasks 0 and 1 only, then merge.sbatch after them: it refuses and names task 2's command.
      const mergeJob = arrayThenMerge(job, '0-1', 'consensus.sbatch');
      expect(mergeJob.status).not.toBe(0);
      expect(readFileSync(join(job, 'logs', 'merge.out'), 'utf8')).toContain(
        'sbatch --array=2 consensus.sbatch',
      );
      const mergedDb = join(dir, 'consensus-merged.sqlite');
      const refused = await cli(
        'sweep-merge',
        job,
        '--db',
        mergedDb,
        '--out',
        join(dir, 'consensus-refused'),
      );
      expect(refused.code).toBe(2);
      for (const fit of plan.fits.filter((f) => f.task === 2)) expect(refused.stderr).toContain(fit.id);
      expect(refused.stderr).toContain('sbatch --array=2 consensus.sbatch');
      expect(existsSync(join(dir, 'consensus-refused'))).toBe(false);

      const rerun = sbatchWait(job, ['--array=2', 'consensus.sbatch']);
      expect(rerun.status, rerun.out).toBe(0);
      const merged = await cli('sweep-merge', job, '--db', mergedDb, '--out', join(dir, 'consensus-merged'));
      expect(merged.code, merged.stderr).toBe(0);
      const a = join(dir, 'consensus-local');
      const b = join(dir, 'consensus-merged');
      for (const file of [
        'ranks.json',
        ...[2, 3].flatMap((k) => ['W.tsv', 'H.tsv', 'consensus.json'].map((f) => `k${k}/${f}`)),
      ])
        expect(
          readFileSync(join(b, file)).equals(readFileSync(join(a, file))),
          `${file} is the same bytes`,
        ).toBe(true);
      // run.json is the same but for the wall-clock seconds of the H refit.
      const withoutSeconds = (path: string): string =>
        readFileSync(path, 'utf8').replace(/"seconds": [^,]+,/, '"seconds": 0,');
      for (const k of [2, 3])
        expect(withoutSeconds(join(b, `k${k}`, 'run.json'))).toBe(
          withoutSeconds(join(a, `k${k}`, 'run.json')),
        );
      const cluster = JSON.parse(merged.stdout).cluster as {
        tasks: Array<{ task: number; scheduler: Array<Record<string, string>> }>;
      };
      expect(cluster.tasks.map((t) => t.task)).toEqual([0, 1, 2]);
      expect(cluster.tasks[2].scheduler[0].SLURM_ARRAY_TASK_ID).toBe('2');
    },
  );
});
