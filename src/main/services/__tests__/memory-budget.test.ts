import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../../shared/api';
import { matrixBytes, parseSize, planFitMemory, type PlannedFit } from '../../../shared/domain/memory-plan';
import { currentMemoryBudget, defaultMemoryBudget, parseByteSize, saveMemoryBudget } from '../memory-budget';
import { createServices } from '..';
import { call } from './harness';

/** The memory budget: where it comes from, how it is saved, and the plan of a fit under it. */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-budget-'));
  dirs.push(dir);
  return dir;
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('memory budget setting', () => {
  it('reads sizes in K, M, G, T and refuses what is not one, naming the value', () => {
    expect(parseSize('8G')).toBe(8 * GiB);
    expect(parseSize('1.5GiB')).toBe(1.5 * GiB);
    expect(parseSize(' 512 mb ')).toBe(512 * MiB);
    expect(parseSize('1000000')).toBe(1_000_000);
    for (const bad of ['', 'G', '-1G', '8 GB extra', '1e9', '8X']) expect(parseSize(bad)).toBeNull();
    expect(() => parseByteSize('8X', '--memory-budget')).toThrow(/--memory-budget: "8X" is not a size/);
    expect(() => parseByteSize('10M', 'NMF_STUDIO_MEMORY_BUDGET')).toThrow(ServiceError);
  });

  it('takes the command line over the environment over the saved value over the default', () => {
    const settingsDir = tempDir();
    const ctx = { memoryBudget: { settingsDir } };
    const none = currentMemoryBudget(ctx, {});
    expect(none.source).toBe('default');
    expect(none.bytes).toBe(defaultMemoryBudget(none.physicalBytes));
    expect(none.bytes).toBeLessThanOrEqual(none.physicalBytes / 2);
    expect(saveMemoryBudget(ctx, 3 * GiB)).toMatchObject({ bytes: 3 * GiB });
    expect(currentMemoryBudget(ctx, {})).toMatchObject({ bytes: 3 * GiB, source: 'settings' });
    expect(currentMemoryBudget(ctx, { NMF_STUDIO_MEMORY_BUDGET: '2G' })).toMatchObject({
      bytes: 2 * GiB,
      source: 'environment',
    });
    const overridden = { memoryBudget: { settingsDir, overrideBytes: GiB } };
    expect(currentMemoryBudget(overridden, { NMF_STUDIO_MEMORY_BUDGET: '2G' })).toMatchObject({
      bytes: GiB,
      source: 'command line',
    });
    // Other settings in the file are kept; null goes back to the default.
    const file = join(settingsDir, 'settings.json');
    writeFileSync(file, JSON.stringify({ other: 1, memoryBudgetBytes: 3 * GiB }));
    saveMemoryBudget(ctx, null);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ other: 1, memoryBudgetBytes: null });
    expect(currentMemoryBudget(ctx, {}).source).toBe('default');
    // A damaged file gives the default rather than an error.
    writeFileSync(file, '{ not json');
    expect(currentMemoryBudget(ctx, {}).source).toBe('default');
    expect(() => saveMemoryBudget(ctx, 1000)).toThrow(/below the smallest/);
  });

  it('is read and saved through its channels, validated', async () => {
    const dir = tempDir();
    const services = createServices({
      libraryPath: join(dir, 'library.sqlite'),
      workerPath: join(__dirname, '..', '..', 'workers', 'nmf.worker.ts'),
      mode: 'browser',
      threads: 1,
      memoryBudget: { settingsDir: dir },
    });
    try {
      const saved = await call<{ bytes: number; source: string }>(services, 'settings:setMemoryBudget', {
        bytes: 4 * GiB,
      });
      expect(saved).toMatchObject({ bytes: 4 * GiB, source: 'settings' });
      expect(await call(services, 'settings:memoryBudget', {})).toMatchObject({ bytes: 4 * GiB });
      await expect(call(services, 'settings:setMemoryBudget', { bytes: 1024 })).rejects.toThrow(
        /invalid_request.*bytes/,
      );
      await expect(call(services, 'settings:setMemoryBudget', { bytes: '8G' })).rejects.toThrow(
        /invalid_request.*bytes/,
      );
    } finally {
      await services.close();
    }
  });
});

describe('memory plan', () => {
  const cells = { rows: 2000, cols: 1_000_000, nnz: 200_000_000, layout: 'csr' as const };
  const minibatch: PlannedFit = {
    rank: 20,
    solver: 'minibatch',
    init: 'nndsvda',
    batchSize: 1024,
    parallel: 1,
  };

  it('holds V in memory when it fits, with V and the fit counted', () => {
    const plan = planFitMemory(cells, minibatch, 16 * GiB);
    expect(plan.mode).toBe('in-memory');
    expect(plan.matrixBytes).toBe(matrixBytes(cells));
    expect(plan.peakBytes).toBe(plan.matrixBytes + plan.fitBytes);
    expect(plan.reason).toContain('within the memory budget of 16.0 GiB');
  });

  it('streams a minibatch fit over the budget and keeps its peak within it', () => {
    const random = { ...minibatch, init: 'random' };
    for (const [fit, budget] of [
      [random, 512 * MiB],
      [random, GiB],
      // An NNDSVD start's SVD holds three n × (k + 10) blocks: 0.7 GiB at 10⁶ cells.
      [minibatch, 2 * GiB],
    ] as const) {
      const plan = planFitMemory(cells, fit, budget);
      expect(plan.mode).toBe('streamed');
      expect(plan.peakBytes).toBeLessThanOrEqual(budget);
      expect(plan.fitBytes).toBeLessThan(plan.matrixBytes / 2);
      expect(plan.reason).toMatch(/V takes 2\.24 GiB in memory.*streamed/);
    }
  });

  it('refuses full-batch fits, dense data and fits whose own arrays exceed the budget, naming sizes', () => {
    const mu = planFitMemory(cells, { ...minibatch, solver: 'mu' }, GiB);
    expect(mu.mode).toBe('refused');
    expect(mu.reason).toMatch(
      /V takes 2\.24 GiB .* over the memory budget of 1\.00 GiB\. Use the minibatch solver/,
    );
    const dense = planFitMemory({ ...cells, layout: 'dense', nnz: 2e9 }, minibatch, GiB);
    expect(dense.mode).toBe('refused');
    expect(dense.reason).toContain('stored dense');
    const big = planFitMemory(cells, { ...minibatch, rank: 200, parallel: 4 }, GiB);
    expect(big.mode).toBe('refused');
    expect(big.reason).toContain('4 fits at once would still hold');
  });
});
