import { consensusMatrix } from '../src/shared/analysis/consensus';
const n = 2000, L = 20, k = Number(process.argv[2] ?? 6);
for (let rep = 0; rep < 5; rep++) {
  const labs = Array.from({ length: L }, () => Array.from({ length: n }, () => Math.floor(Math.random() * k)));
  const t0 = performance.now(); consensusMatrix(labs); console.log(rep, (performance.now() - t0).toFixed(0));
}
