import { describe, expect, it } from 'vitest';
import { compareActivities, componentActivity } from '../../../shared/analysis/activity-compare';
import type { ActivityComparisonView, ProjectionDetail, RunDetail } from '../../../shared/domain';
import { dense } from '../../../shared/linalg/matrix';
import type { Services } from '..';
import { dispatch } from '../dispatch';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

const start = servicesInTempFolders('nmf-activity-');

async function finishedRun(services: Services, datasetId: number, seed: number): Promise<RunDetail> {
  const { id } = await call<{ id: number }>(services, 'runs:start', {
    datasetId,
    params: { rank: 3, maxIter: 400, seed },
  });
  for (;;) {
    const run = await call<RunDetail>(services, 'runs:get', { id });
    if (!['queued', 'running'].includes(run.state)) return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('component activity', () => {
  it('is each component’s share of a sample’s total in W·H, whatever the scale split between W and H', () => {
    const W = dense(2, 2, Float64Array.from([1, 0, 1, 2]));
    const H = dense(2, 3, Float64Array.from([2, 0, 1, 0, 1, 1]));
    const a = componentActivity(W, H);
    // Column sums of W: 2 and 2. Sample 0: 4 and 0; sample 1: 0 and 2; sample 2: 2 and 2.
    expect(Array.from(a.shares.data)).toEqual([1, 0, 0.5, 0, 1, 0.5]);
    expect(a.usage).toEqual([0.5, 0.5]);
    const scaled = componentActivity(
      dense(2, 2, Float64Array.from([10, 0, 10, 20])),
      dense(2, 3, Float64Array.from([0.2, 0, 0.1, 0, 0.1, 0.1])),
    );
    expect(scaled.usage.map((u) => u.toFixed(12))).toEqual(a.usage.map((u) => u.toFixed(12)));
    const same = compareActivities(
      a,
      a,
      [
        { a: 0, b: 0, similarity: 1 },
        { a: 1, b: 1, similarity: 1 },
      ],
      true,
    );
    expect(same.clusterAgreement).toBe(1);
    expect(same.matches.map((m) => m.activityCorrelation)).toEqual([1, 1]);
    const elsewhere = compareActivities(a, a, [{ a: 0, b: 1, similarity: 0.2 }], false);
    expect(elsewhere).toEqual({
      matches: [
        {
          a: 0,
          b: 1,
          similarity: 0.2,
          usageA: 0.5,
          usageB: 0.5,
          clusterShareA: 2 / 3,
          clusterShareB: 1 / 3,
          activityCorrelation: null,
        },
      ],
      clusterAgreement: null,
    });
  });
});

describe('compare:activity', () => {
  it('compares a run with its projections: the same samples agree, new samples show usage, matched features and loss', async () => {
    const services = start();
    const trainId = await synthesizedDataset(services, 3, 40);
    const run = await finishedRun(services, trainId, 1);
    const onItself = await call<ProjectionDetail>(services, 'projections:start', {
      runId: run.id,
      datasetId: trainId,
    });
    const newId = await synthesizedDataset(services, 4, 25);
    const onNew = await call<ProjectionDetail>(services, 'projections:start', {
      runId: run.id,
      datasetId: newId,
    });
    const view = await call<ActivityComparisonView>(services, 'compare:activity', {
      items: [
        { kind: 'run', id: run.id },
        { kind: 'projection', id: onItself.id },
        { kind: 'projection', id: onNew.id },
      ],
    });
    expect(view.items.map((i) => [i.kind, i.samples, i.matched])).toEqual([
      ['run', 40, null],
      ['projection', 40, 60],
      ['projection', 25, 60],
    ]);
    expect(view.items[2].loss).toBe(onNew.loss);
    expect(view.items[2].lossPerEntry).toBeCloseTo(onNew.loss / (60 * 25), 12);
    for (const item of view.items) expect(item.usage.reduce((s, u) => s + u, 0)).toBeCloseTo(1, 12);
    const [self, runVsNew] = view.pairs;
    expect(self).toMatchObject({ a: 0, b: 1, sameComponents: true, sameSamples: true });
    // Refitting H on the run's own samples with its W held recovers the run's activities.
    expect(self.clusterAgreement).toBeGreaterThan(0.95);
    for (const m of self.matches) {
      expect(m.a).toBe(m.b);
      expect(m.activityCorrelation).toBeGreaterThan(0.99);
      expect(Math.abs(m.usageA - m.usageB)).toBeLessThan(0.02);
    }
    expect(runVsNew).toMatchObject({ sameComponents: true, sameSamples: false, clusterAgreement: null });
    expect(runVsNew.matches.every((m) => m.activityCorrelation === null)).toBe(true);
    const refused = await dispatch(services.handlers, 'compare:activity', {
      items: [
        { kind: 'projection', id: onNew.id },
        { kind: 'projection', id: onNew.id },
      ],
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_input' } });
  });
});
