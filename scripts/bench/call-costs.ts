/**
 * The cost of each native kernel call of a HALS / KL MU iteration on a bench set, in CPU time per
 * call (this process, all its threads), from N back-to-back calls: so a loaded machine's waiting
 * does not count. Also a call on a 1 × 1 problem (the Node-API crossing and argument checks
 * alone). Prints one JSON line per thread count.
 *
 *   node --import tsx scripts/bench/call-costs.ts --dir DIR --set NAME --rank K [--calls N]
 */
import { installNativeKernels } from '../../src/main/native';
import { loadedNativeKernels } from '../../src/shared/nmf/kernels';
import { benchArgs } from './args';
import { readSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const k = Number(get('--rank'));
const calls = Number(get('--calls', '2000'));
installNativeKernels();
const native = loadedNativeKernels();
if (native === null) throw new Error('the native kernels are not built (npm run build:native)');
const { V } = readSet(dir, set);
if (V.kind !== 'dense') throw new Error('a dense set');
const { rows: m, cols: n, data } = V;
const W = new Float64Array(m * k).map((_, q) => 0.1 + ((q * 7919) % 13) / 13);
const Ht = new Float64Array(n * k).map((_, q) => 0.1 + ((q * 104729) % 17) / 17);
const BW = new Float64Array(m * k);
const BH = new Float64Array(n * k);
const G = new Float64Array(k * k);
const order = Int32Array.from({ length: k }, (_, t) => t);
const one = new Float64Array(1);
/** Copies the sweeps update (their values settle after a few calls; the cost does not change). */
const Wc = W.slice();
const Hc = Ht.slice();

/** µs of CPU time (all threads) and of wall clock per call of f. */
function cost(f: () => void): { cpuUs: number; wallUs: number } {
  for (let r = 0; r < 50; r++) f();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < calls; r++) f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpuUs: +((c.user + c.system) / calls).toFixed(2), wallUs: +((1000 * wall) / calls).toFixed(2) };
}

for (const threads of [1, 2]) {
  const costs = {
    'crossing (product on 1 × 1)': cost(() => native.product(0, false, one, 1, 1, 1, one, one, one, threads)),
    'V·Hᵀ (product side 0)': cost(() => native.product(0, false, data, m, n, k, W, Ht, BW, threads)),
    'Vᵀ·W (product side 1)': cost(() => native.product(1, false, data, m, n, k, W, Ht, BH, threads)),
    'gram(Ht)': cost(() => native.gram(Ht, n, k, G)),
    'gram(W)': cost(() => native.gram(W, m, k, G)),
    'cdSweep(W)': cost(() => native.cdSweep(Wc, m, k, G, BW, order, threads)),
    'cdSweep(Ht)': cost(() => native.cdSweep(Hc, n, k, G, BH, order, threads)),
    'halsHalf W (fused)': cost(() =>
      native.halsHalf?.(0, data, m, n, k, Wc, Ht, BW, G, order, 0, 0, threads),
    ),
    'halsHalf H (fused)': cost(() => native.halsHalf?.(1, data, m, n, k, Hc, W, BH, G, order, 0, 0, threads)),
    'KL numW (product ratio side 0)': cost(() => native.product(0, true, data, m, n, k, W, Ht, BW, threads)),
    'KL numHt (product ratio side 1)': cost(() => native.product(1, true, data, m, n, k, W, Ht, BH, threads)),
  };
  console.log(JSON.stringify({ set, m, n, k, threads, costs }));
}
