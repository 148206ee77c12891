import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '..';
import { synthesizeGeneModules } from '../../../shared/analysis';
import type { ClusterPlan } from '../../../shared/analysis/cluster-plan';
import { decodeFrame, encodeFrame } from '../../../shared/api';
import {
  importClusterArchive,
  jsonProblem,
  planSweepArchive,
  readPlan,
  readResults,
  writeFileAtomic,
  writeJobFolder,
} from '../cluster';
import { offerClusterArchive } from '../export-downloads';
import { storeDataset } from '../datasets';
import { getSweepDetail, startSweep } from '../sweeps';
import { extractTarGz, writeTarGzFile } from '../tar';
import { downloadWhole } from './harness';
import { cli } from '../../cli/__tests__/in-process';
import {
  folderWithPlanted,
  planJobFolder,
  shortSweepOptions as sweepOptions,
  smallPlanted,
  expectSameBytes,
  mergeInto,
  sweepInto,
} from '../../cli/__tests__/planted';

/**
 * Job folders without a scheduler: plan, run the tasks in this process, merge — the same bytes as a
 * local sweep; resume, atomic result files, hash checks, the app's archive round trip, and --submit
 * against a stand-in sbatch. (slurm.test.ts does the same on a real cluster.)
 */

const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
let dir: string;

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-cluster-', smallPlanted);
  const local = await sweepInto(dir, 'local', sweepOptions);
  expect(local.code, local.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const compared = ['ranks.json', 'k2/W.tsv', 'k2/H.tsv', 'k3/W.tsv', 'k3/H.tsv'];

/**
 * A run.json without what is a time or a library id: `seconds` and `run_id` left out, the per-pass
 * times (`trace_seconds`, `provenance.traceSeconds`) replaced by their counts.
 */
function runJsonWithTimesCounted(
  path: string,
): { trace: unknown[]; traceTimes: unknown[] } & Record<string, unknown> {
  const { seconds, run_id, trace_seconds, provenance, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as {
    trace: unknown[];
    trace_seconds: unknown[] | null;
    provenance: { traceSeconds?: unknown[] };
  } & Record<string, unknown>;
  void seconds;
  void run_id;
  const { traceSeconds, ...kept } = provenance;
  return { ...rest, provenance: kept, traceTimes: [trace_seconds?.length, traceSeconds?.length] };
}

describe('a job folder run without a scheduler', () => {
  it('merges to the same bytes as the local sweep; a rerun task skips what it finished', async () => {
    const job = join(dir, 'job');
    const planned = await planJobFolder('sweep', join(dir, 'syn', 'V.tsv'), sweepOptions, 3, job);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(job, 'plan.json'), 'utf8')) as ClusterPlan;
    for (const name of ['data.nmf', 'sweep.sbatch', 'merge.sbatch', 'README.md'])
      expect(existsSync(join(job, name))).toBe(true);
    const script = readFileSync(join(job, 'sweep.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-2');
    expect(script).toMatch(/#SBATCH --mem=\d+M/);
    expect(script).toContain('sweep-task "$DIR" --task "$SLURM_ARRAY_TASK_ID"');
    expect(readFileSync(join(job, 'README.md'), 'utf8')).toContain(
      'sbatch --dependency=afterany:$jobid merge.sbatch',
    );

    for (let task = 0; task < 3; task++) {
      const r = await cli('sweep-task', job, '--task', String(task));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ task, skipped: 0 });
    }
    expect(readdirSync(join(job, 'results')).sort()).toEqual(plan.fits.map((f) => f.file).sort());
    const again = await cli('sweep-task', job, '--task', '1');
    const mine = plan.fits.filter((f) => f.task === 1).length;
    expect(JSON.parse(again.stdout)).toEqual({ task: 1, fits: mine, skipped: mine, ran: 0 });

    const merged = await mergeInto(dir, 'merged', job);
    expect(merged.code, merged.stderr).toBe(0);
    expectSameBytes(compared, join(dir, 'merged'), join(dir, 'local'));
    expect(JSON.parse(readFileSync(join(dir, 'merged', 'ranks.json'), 'utf8'))).not.toHaveProperty('cluster');
    // run.json: the same but for times — `seconds`, and the per-pass times compared by count (one
    // per trace point, in both, carried from the job's fit into the sweep's stored run).
    for (const k of [2, 3]) {
      const local = runJsonWithTimesCounted(join(dir, 'local', `k${k}`, 'run.json'));
      expect(local.traceTimes).toEqual([local.trace.length, local.trace.length]);
      expect(runJsonWithTimesCounted(join(dir, 'merged', `k${k}`, 'run.json'))).toEqual(local);
      for (const out of ['local', 'merged']) {
        const seconds = JSON.parse(readFileSync(join(dir, out, `k${k}`, 'run.json'), 'utf8'))
          .trace_seconds as number[];
        expect(seconds.every((s, i) => s >= (i === 0 ? 0 : seconds[i - 1]))).toBe(true);
      }
    }

    // Results from a version that did not record the times merge as before, with trace_seconds null;
    // times that do not fit the trace are refused.
    const old = join(dir, 'job-old');
    cpSync(job, old, { recursive: true });
    const rewrite = (change: (factors: { trace: unknown[]; traceSeconds?: unknown }) => void): void => {
      for (const fit of plan.fits) {
        const path = join(old, 'results', fit.file);
        const envelope = decodeFrame(new Uint8Array(readFileSync(path))) as {
          result: { factors: { trace: unknown[]; traceSeconds?: unknown } | null };
        };
        if (envelope.result.factors) change(envelope.result.factors);
        writeFileSync(path, encodeFrame(envelope));
      }
    };
    rewrite((factors) => (factors.traceSeconds = [0.5]));
    const refused = await cli('sweep-merge', old, '--no-save', '--out', join(dir, 'merged-bad'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/its trace times are not \d+ non-negative seconds/);
    rewrite((factors) => delete factors.traceSeconds);
    const withoutTimes = await cli('sweep-merge', old, '--no-save', '--out', join(dir, 'merged-old'));
    expect(withoutTimes.code, withoutTimes.stderr).toBe(0);
    expectSameBytes(compared, join(dir, 'merged-old'), join(dir, 'local'));
    for (const k of [2, 3]) {
      const run = JSON.parse(readFileSync(join(dir, 'merged-old', `k${k}`, 'run.json'), 'utf8'));
      expect(run.trace_seconds).toBeNull();
      expect(run.provenance).not.toHaveProperty('traceSeconds');
    }
    // Merged again into the same library: the same sweep, no duplicate, the same files.
    const twice = await cli(
      'sweep-merge',
      job,
      '--db',
      join(dir, 'merged.sqlite'),
      '--out',
      join(dir, 'merged2'),
    );
    expect(JSON.parse(twice.stdout).sweep_id).toBe(JSON.parse(merged.stdout).sweep_id);
    expectSameBytes(compared, join(dir, 'merged2'), join(dir, 'merged'));

    // A plan from a version whose sweep jobs did not carry `warmupTol` (they ran fixed warm-ups
    // whatever the parameters said) merges, recording the fixed warm-up that ran.
    expect(plan.fits.every((f) => (f.job.fit as { warmupTol?: number }).warmupTol! > 0)).toBe(true);
    const fixed = join(dir, 'job-fixed-warmups');
    cpSync(job, fixed, { recursive: true });
    const planFile = join(fixed, 'plan.json');
    const before = JSON.parse(readFileSync(planFile, 'utf8')) as ClusterPlan;
    for (const f of before.fits) delete (f.job.fit as { warmupTol?: number }).warmupTol;
    writeFileSync(planFile, JSON.stringify(before));
    const mergedFixed = await cli('sweep-merge', fixed, '--no-save', '--out', join(dir, 'merged-fixed'));
    expect(mergedFixed.code, mergedFixed.stderr).toBe(0);
    for (const k of [2, 3])
      expect(
        JSON.parse(readFileSync(join(dir, 'merged-fixed', `k${k}`, 'run.json'), 'utf8')).params.warmupTol,
      ).toBe(0);
  });

  it('plans from a library dataset by its id, data.nmf written from the library, and merges to the same bytes', async () => {
    const db = join(dir, 'planning.sqlite');
    const imported = await cli('import', join(dir, 'syn', 'V.tsv'), '--db', db);
    expect(imported.code, imported.stderr).toBe(0);
    const id = String(JSON.parse(imported.stdout).dataset);
    const job = join(dir, 'by-id');
    const planned = await cli(
      'sweep',
      id,
      ...sweepOptions,
      '--plan',
      'slurm',
      '--tasks',
      '2',
      '--db',
      db,
      '--out',
      job,
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout).data_hash).toBe(JSON.parse(imported.stdout).hash);
    for (const task of ['0', '1']) expect((await cli('sweep-task', job, '--task', task)).code).toBe(0);
    const merged = await cli('sweep-merge', job, '--no-save', '--out', join(dir, 'merged-by-id'));
    expect(merged.code, merged.stderr).toBe(0);
    expectSameBytes(compared, join(dir, 'merged-by-id'), join(dir, 'local'));
    const unknown = await cli(
      'sweep',
      '99',
      ...sweepOptions,
      '--plan',
      'slurm',
      '--db',
      db,
      '--out',
      join(dir, 'none'),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('dataset 99 does not exist');
    expect(existsSync(join(dir, 'none', 'plan.json'))).toBe(false);
  });

  it('counts a fit whose write was cut short as missing and reruns it; leftover temporary files are ignored', async () => {
    const job = join(dir, 'cut');
    await planJobFolder('sweep', join(dir, 'syn', 'V.tsv'), sweepOptions, 2, job);
    const plan = await readPlan(job);
    const first = plan.fits.find((f) => f.task === 0)!;
    // A task killed while writing leaves only its temporary file: the result itself never exists half-written.
    writeFileSync(join(job, 'results', `${first.file}.node7.1234.abcd.tmp`), new Uint8Array([1, 2, 3]));
    expect((await readResults(job, plan)).size).toBe(0);
    const r = await cli('sweep-task', job, '--task', '0');
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: 0 });
    expect((await readResults(job, plan)).has(first.id)).toBe(true);
    // A damaged result file is reported by the merge and rerun by its task.
    writeFileSync(join(job, 'results', first.file), new Uint8Array([0x4e, 0x4d, 0x46, 0x31, 9, 9]));
    const refused = await cli('sweep-merge', job, '--no-save');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(first.file);
    expect(refused.stderr).toContain('sbatch --array=0-1 sweep.sbatch');
    // One line, its sentences joined by spaces (a line break used to print as a literal \n).
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).not.toContain('\\n');
    const rerun = await cli('sweep-task', job, '--task', '0');
    expect(JSON.parse(rerun.stdout).ran).toBe(1);
  });

  it('writes result files atomically: the target holds all of the bytes or does not exist', async () => {
    const target = join(dir, 'atomic', 'a.result');
    mkdirSync(join(dir, 'atomic'));
    const bytes = new Uint8Array(1 << 20).map((_, i) => i % 251);
    await writeFileAtomic(target, bytes);
    expect(readFileSync(target).equals(Buffer.from(bytes))).toBe(true);
    expect(readdirSync(join(dir, 'atomic'))).toEqual(['a.result']);
    // Into a folder that cannot be written: nothing appears, the error is raised.
    chmodSync(join(dir, 'atomic'), 0o500);
    const blocked = join(dir, 'atomic', 'b.result');
    if (process.getuid?.() !== 0) {
      await expect(writeFileAtomic(blocked, bytes)).rejects.toThrow();
      expect(existsSync(blocked)).toBe(false);
    }
    chmodSync(join(dir, 'atomic'), 0o700);
  });

  it('refuses a task whose data does not hash as the plan says, with status 2 and one line', async () => {
    const job = join(dir, 'tampered');
    await planJobFolder('sweep', join(dir, 'syn', 'V.tsv'), sweepOptions, 2, job);
    const frame = decodeFrame(new Uint8Array(readFileSync(join(job, 'data.nmf')))) as { rowNames: string[] };
    frame.rowNames[0] = 'renamed';
    writeFileSync(join(job, 'data.nmf'), encodeFrame(frame));
    const r = await cli('sweep-task', job, '--task', '0');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('data hash mismatch');
    expect(readdirSync(join(job, 'results'))).toEqual([]);
    const outOfRange = await cli('sweep-task', job, '--task', '5');
    expect(outOfRange.code).toBe(2);
  });

  it('--submit queues the array, then the merge with an afterany dependency', async () => {
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin);
    const calls = join(dir, 'sbatch-calls.txt');
    // A stand-in sbatch that records its arguments and answers as --parsable does.
    writeFileSync(
      join(bin, 'sbatch'),
      `#!/bin/sh\necho "$PWD $*" >> '${calls}'\nif [ -f '${calls}.n' ]; then echo 102; else echo 101; touch '${calls}.n'; fi\n`,
    );
    chmodSync(join(bin, 'sbatch'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const job = join(dir, 'submit');
      const r = await cli(
        'sweep',
        join(dir, 'syn', 'V.tsv'),
        ...sweepOptions,
        '--plan',
        'slurm',
        '--out',
        job,
        '--submit',
        '--slurm-partition',
        'short',
        '--slurm-mem',
        '2G',
        '--slurm-time',
        '1:00:00',
        '--slurm-cpus',
        '2',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).submitted).toEqual({ array_job: '101', merge_job: '102' });
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
        `${job} --parsable sweep.sbatch`,
        `${job} --parsable --dependency=afterany:101 merge.sbatch`,
      ]);
      const script = readFileSync(join(job, 'sweep.sbatch'), 'utf8');
      for (const line of [
        '--partition=short',
        '--mem=2048M',
        '--time=1:00:00',
        '--cpus-per-task=2',
        '--threads 2',
      ])
        expect(script).toContain(line);
    } finally {
      process.env.PATH = path;
    }
    const bad = await cli(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      ...sweepOptions,
      '--plan',
      'slurm',
      '--out',
      join(dir, 'bad'),
      '--slurm-time',
      'soon',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"soon"');
    const local = await cli(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      ...sweepOptions,
      '--out',
      join(dir, 'bad2'),
      '--tasks',
      '4',
    );
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--tasks goes with --plan slurm');
  });
});

describe('jsonProblem', () => {
  it('accepts what JSON carries and names what it would change', () => {
    expect(jsonProblem({ a: [1, 'x', null, { b: true }], c: undefined }, 'job')).toBeNull();
    expect(jsonProblem({ fit: { tol: Number.POSITIVE_INFINITY } }, 'job')).toBe('job.fit.tol is Infinity');
    expect(jsonProblem({ w: new Float64Array(2) }, 'job')).toBe('job.w is a Float64Array');
    expect(jsonProblem({ a: [1, undefined] }, 'job')).toBe('job.a[1] is undefined');
  });
});

describe('the app: job folder as an archive, finished folder back as an archive', () => {
  let services: Services;
  beforeAll(() => {
    services = createServices({
      libraryPath: ':memory:',
      workerPath,
      mode: 'browser',
      threads: 2,
      tempDir: dir,
    });
  });
  afterAll(() => services.close());

  it('exports a .tar.gz, and importing the finished folder stores the same sweep as running it here', async () => {
    const synthetic = synthesizeGeneModules({ features: 30, samples: 16, rank: 2, seed: 2 });
    const names = (prefix: string, n: number): string[] =>
      Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
    const { dataset } = storeDataset(services.ctx, synthetic.V, names('g', 30), names('s', 16), {
      name: 'planted',
      sourceName: 'planted.tsv',
      format: 'tsv',
      transform: 'none',
      transposed: false,
    });
    const params = { fromRank: 2, toRank: 3, replicates: 2, cvFolds: 2, fit: { maxIter: 50, seed: 1 } };
    const planned = planSweepArchive(services.ctx, dataset.id, params, { tasks: 2 }, 1e8);
    expect(planned.fileName).toMatch(/^nmf-sweep-planted-[0-9a-f]{6}\.tar\.gz$/);
    const offered = await offerClusterArchive(services.ctx, planned);
    expect(offered).toMatchObject({ fileName: planned.fileName, fits: planned.fits, tasks: 2 });
    const archive = await downloadWhole(services, offered.download.downloadId);
    expect(archive.byteLength).toBe(offered.byteLength);

    // The archive holds the folder the plan writes, file for file and byte for byte.
    const unpacked = join(dir, 'app-unpacked');
    const paths = await extractTarGz(archive, 1 << 30, unpacked);
    const { top } = planned;
    const inFolder = ['plan.json', 'data.nmf', 'sweep.sbatch', 'merge.sbatch', 'README.md'];
    expect(paths).toEqual([...inFolder, 'results/.keep', 'logs/.keep'].map((p) => `${top}/${p}`));
    const folder = join(dir, 'app-job');
    await writeJobFolder(folder, planned.folder);
    for (const name of inFolder)
      expect(readFileSync(join(unpacked, top, name)).equals(readFileSync(join(folder, name))), name).toBe(
        true,
      );
    writeFileSync(join(dir, 'app-job.tar.gz'), archive);
    const listed = spawnSync('tar', ['-tvzf', join(dir, 'app-job.tar.gz')], { encoding: 'utf8' });
    expect(listed.stdout).toMatch(new RegExp(`^-rwxr-xr-x .* ${top}/sweep\\.sbatch$`, 'm'));

    // Importing before the tasks ran refuses and stores nothing.
    const early = join(dir, 'early.tar.gz');
    await writeTarGzFile(
      inFolder.map((name) => ({ path: `${top}/${name}`, file: join(folder, name) })),
      0,
      early,
    );
    await expect(
      importClusterArchive(services.ctx, { fileName: 'early.tar.gz', path: early }),
    ).rejects.toThrow(/have no result/);
    for (const task of ['0', '1']) expect((await cli('sweep-task', folder, '--task', task)).code).toBe(0);
    const finished = join(dir, 'finished.tar.gz');
    await writeTarGzFile(
      readdirSync(join(folder, 'results'))
        .map((name) => `results/${name}`)
        .concat(['plan.json', 'data.nmf'])
        .map((name) => ({ path: name, file: join(folder, name) })),
      0,
      finished,
    );
    const merged = await importClusterArchive(services.ctx, { fileName: 'finished.tar.gz', path: finished });
    expect(merged.state).toBe('done');
    const detail = getSweepDetail(services.ctx, merged.id);
    expect(detail.cluster?.tasks.map((t) => t.task)).toEqual([0, 1]);

    // The same sweep run here gives the same criteria and recommendation.
    const local = startSweep(services.ctx, dataset.id, params);
    for (let i = 0; i < 200 && getSweepDetail(services.ctx, local.id).state !== 'done'; i++)
      await new Promise((r) => setTimeout(r, 50));
    const here = getSweepDetail(services.ctx, local.id);
    expect(here.ranks.map(({ runId: _a, ...r }) => r)).toEqual(detail.ranks.map(({ runId: _b, ...r }) => r));
    expect(here.recommendation).toEqual(detail.recommendation);
  });

  it('refuses an archive that is not a job folder, or unsafe', async () => {
    const notJob = join(dir, 'not-job.tar.gz');
    await writeTarGzFile([{ path: 'x/readme.txt', bytes: new Uint8Array([65]) }], 0, notJob);
    await expect(importClusterArchive(services.ctx, { fileName: 'x.tar.gz', path: notJob })).rejects.toThrow(
      /no plan\.json/,
    );
    await expect(
      importClusterArchive(services.ctx, { fileName: 'y.tar.gz', bytes: new Uint8Array([1, 2, 3]) }),
    ).rejects.toThrow(/not a readable/);
  });
});
