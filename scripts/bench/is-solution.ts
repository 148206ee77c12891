/**
 * A dense Itakura–Saito fit to a solution, ours against scikit-learn's
 * `NMF(beta_loss='itakura-saito', solver='mu')`, from the same start: positive counts
 * (1 + Poisson(4)), a random start scaled as scikit-learn's, tol 1e-4, at most 200 iterations (its
 * stopping test, every 10 iterations, is ours). Prints one JSON line per tool: CPU seconds of the
 * fit (ours: process.cpuUsage, the kernels' threads included; scikit-learn: process_time, its BLAS
 * threads included), iterations and the final loss. Not a test: it prints figures.
 *
 *   node --import tsx scripts/bench/is-solution.ts [--shape 2000x500x8] [--threads 1] [--reps 3]
 *
 * Ours twice: 'ours' (the kernel set a worker uses) and 'ours, WebAssembly terms' (the same set
 * with the general-β terms and loss sums of the WebAssembly set, as before the native ones).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dense } from '../../src/shared/linalg/matrix';
import { Rng } from '../../src/shared/linalg/random';
import { fitNmf } from '../../src/shared/nmf';
import { selectKernels, type NmfKernels } from '../../src/shared/nmf/kernels';
import { installNativeKernels } from '../../src/main/native';
import { benchArgs } from './args';

const { get } = benchArgs();
const [m, n, k] = get('--shape', '2000x500x8').split('x').map(Number);
const threads = Number(get('--threads', '1'));
const reps = Number(get('--reps', '3'));
process.stderr.write(`native kernels: ${installNativeKernels().isa ?? 'not loaded'}\n`);

const rng = new Rng(7);
const V = dense(m, n);
for (let q = 0; q < V.data.length; q++) V.data[q] = 1 + rng.poisson(4);
let mean = 0;
for (const v of V.data) mean += v / V.data.length;
// scikit-learn's random start: |N(0, 1)| · sqrt(mean / k).
const scale = Math.sqrt(mean / k);
const W0 = dense(m, k);
const H0 = dense(k, n);
for (const F of [W0, H0]) for (let q = 0; q < F.data.length; q++) F.data[q] = Math.abs(rng.normal()) * scale;

const dir = mkdtempSync(join(tmpdir(), 'is-solution-'));
for (const [name, M] of [
  ['V', V],
  ['W0', W0],
  ['H0', H0],
] as const)
  writeFileSync(join(dir, `${name}.f64`), new Uint8Array(M.data.buffer));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const options = { rank: k, beta: 0, solver: 'mu', init: 'custom', W0, H0, tol: 1e-4, maxIter: 200 } as const;
const wasm = selectKernels({ backend: 'wasm' });
const sets: Array<[string, () => NmfKernels]> = [
  ['ours', () => selectKernels({ threads })],
  [
    'ours, WebAssembly terms',
    () => ({
      ...selectKernels({ threads }),
      betaW: wasm.betaW,
      betaH: wasm.betaH,
      betaLossSums: wasm.betaLossSums,
    }),
  ],
];
const times = sets.map(() => [] as number[]);
const last = sets.map(([, make]) => fitNmf(V, options, { kernels: make() }));
for (let rep = 0; rep < reps; rep++)
  sets.forEach(([, make], at) => {
    const kernels = make();
    const started = process.cpuUsage();
    last[at] = fitNmf(V, options, { kernels });
    const used = process.cpuUsage(started);
    times[at].push((used.user + used.system) / 1e6);
  });
sets.forEach(([tool], at) =>
  console.log(
    JSON.stringify({
      tool,
      m,
      n,
      k,
      threads,
      cpuSeconds: median(times[at]),
      iterations: last[at].iterations,
      loss: last[at].loss,
    }),
  ),
);

const python = `
import json, sys, time, warnings
import numpy as np
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence
d, m, n, k, reps = sys.argv[1], *map(int, sys.argv[2:6])
V = np.fromfile(d + '/V.f64').reshape(m, n)
W0 = np.fromfile(d + '/W0.f64').reshape(m, k)
H0 = np.fromfile(d + '/H0.f64').reshape(k, n)
times = []
for _ in range(reps):
    model = NMF(n_components=k, beta_loss='itakura-saito', solver='mu', init='custom', tol=1e-4, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t = time.process_time()
        W = model.fit_transform(V, W=W0.copy(), H=H0.copy())
        times.append(time.process_time() - t)
print(json.dumps({'tool': 'scikit-learn', 'cpuSeconds': sorted(times)[len(times) // 2],
    'iterations': int(model.n_iter_), 'loss': float(_beta_divergence(V, W, model.components_, 0))}))
`;
const peer = spawnSync(
  '/usr/bin/python3',
  ['-c', python, dir, String(m), String(n), String(k), String(reps)],
  {
    encoding: 'utf8',
  },
);
process.stdout.write(peer.stdout);
if (peer.status !== 0) process.stderr.write(peer.stderr);
