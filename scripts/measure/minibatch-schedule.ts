/**
 * Minibatch MU schedules against full-batch MU on planted single-cell counts (2000 genes, k = 20,
 * KL), from the same seeded random start, one thread. Every fit is judged by the loss of its W with
 * H solved for that W over all samples (full-batch MU with W held, up to 100 steps): what a researcher
 * gets from `transform`. Prints one JSON line per fit.
 *
 *   node --import tsx scripts/measure/minibatch-schedule.ts --cells 20000 [--seed 0]
 *       [--configs sklearn3,sklearn10,default,...] [--full]
 */
import { plantCellModules, sampleCellMatrix } from '../../src/shared/analysis/synthetic-cells';
import { fitNmf, type FitOptionsInput } from '../../src/shared/nmf';
import { installNativeKernels } from '../../src/main/native';

const args = process.argv.slice(2);
const get = (key: string, fallback: string): string => {
  const at = args.indexOf(key);
  return at >= 0 ? args[at + 1] : fallback;
};
const cells = Number(get('--cells', '20000'));
const seed = Number(get('--seed', '0'));
const k = 20;
installNativeKernels();
const V = sampleCellMatrix(plantCellModules({ features: 2000, cells, rank: k, seed: 5 })).V;

/** CPU seconds (user + system) of this process while `run` runs. */
function cpuSeconds<T>(run: () => T): { value: T; cpu: number } {
  const before = process.cpuUsage();
  const value = run();
  const used = process.cpuUsage(before);
  return { value, cpu: (used.user + used.system) / 1e6 };
}

const common: FitOptionsInput = { rank: k, beta: 1, init: 'random', seed, loglik: false };
const configs: Record<string, Partial<FitOptionsInput>> = {
  sklearn3: { solver: 'minibatch', schedule: 'sklearn', maxIter: 3, tol: 0, maxNoImprovement: null },
  sklearn10: { solver: 'minibatch', schedule: 'sklearn', maxIter: 10, tol: 0, maxNoImprovement: null },
  default: { solver: 'minibatch' },
};
for (const spec of get('--configs', '')
  .split(',')
  .filter((s) => s.length > 0)) {
  // name:key=value;key=value (passes as maxIter)
  const [name, body] = spec.split(':');
  const settings: Record<string, number | null | string> = { solver: 'minibatch' };
  for (const pair of (body ?? '').split(';').filter((s) => s.length > 0)) {
    const [key, value] = pair.split('=');
    settings[key] = value === 'null' ? null : Number(value);
  }
  configs[name] = settings as Partial<FitOptionsInput>;
}
const chosen = get('--run', Object.keys(configs).join(',')).split(',');

function judge(name: string, options: FitOptionsInput): void {
  const { value: fit, cpu } = cpuSeconds(() => fitNmf(V, options));
  const solved = fitNmf(V, {
    rank: k,
    beta: 1,
    solver: 'mu',
    fixed: 'W',
    init: 'custom',
    W0: fit.W,
    H0: fit.H,
    maxIter: 100,
    tol: 1e-5,
    loglik: false,
  });
  console.log(
    JSON.stringify({
      name,
      cells,
      seed,
      iterations: fit.iterations,
      converged: fit.converged,
      cpu: Number(cpu.toFixed(2)),
      returnedLoss: fit.loss,
      solvedLoss: solved.loss,
    }),
  );
}

if (args.includes('--full')) judge('full-mu', { ...common, solver: 'mu' });
for (const name of chosen) if (configs[name] !== undefined) judge(name, { ...common, ...configs[name] });
