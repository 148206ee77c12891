"""
Fits the run estimate's cost model (src/main/services/fit-cost.ts, FAMILY_COSTS) to the lines
scripts/measure/engine-cost.ts prints: for each kernel family, non-negative coefficients (least
squares on relative errors) of

  seconds per iteration = M · (a·E·k + b·E + c·(m+n)·k + d·(m+n)·k² + e·m + f)
  seconds per fit (random start, beyond its iterations) = M · (g·E + h·E·k + i·(m+n)·k + j)

with E the stored entries (m·n dense, nnz CSR) and M the memory factor of V's size (memory_factor),
and prints them in nanoseconds as the table's
TypeScript, with the largest and smallest ratio of model to measurement per family.

  python3 scripts/measure/engine-cost-fit.py cost1.jsonl costk.jsonl
"""
import json
import sys

import numpy as np
from scipy.optimize import nnls


def memory_factor(entries, layout):
    """fit-cost.ts memoryFactor: 1 up to 8 MiB of stored V, 1.45 from 64 MiB, log-linear between."""
    stored = entries * (12 if layout == 'csr' else 8)
    ramp = min(1.0, max(0.0, np.log2(max(stored, 1) / (8 * 2**20)) / 3))
    return 1 + 0.45 * ramp


def fit(X, y):
    X = np.array(X, float)
    y = np.array(y, float)
    weight = 1 / y
    coef, _ = nnls(X * weight[:, None], y * weight)
    ratio = (X @ coef) / y
    return coef, ratio.min(), ratio.max()


families = {}
for path in sys.argv[1:]:
    for line in open(path):
        row = json.loads(line)
        # NNDSVD starts are fitted apart; minibatch passes are priced against MU (fit-cost.ts).
        if row.get('init', 'random') != 'random' or row['solver'] == 'minibatch':
            continue
        name = (
            row['name'].replace(' 30%', '').replace(' random', '')
            .replace('dense KL mu missing', 'dense KL mu masked')
            .replace('dense beta0.5 mu', 'dense general-beta mu')
        )
        families.setdefault(name, []).append(row)

for name, rows in families.items():
    per_iteration, fixed = ([], []), ([], [])
    for r in rows:
        E = r['nnz'] if r['layout'] == 'csr' else r['m'] * r['n']
        k, side = r['k'], r['m'] + r['n']
        factor = memory_factor(E, r['layout'])
        per_iteration[0].append([factor * x for x in [E * k, E, side * k, side * k * k, r['m'], 1]])
        per_iteration[1].append(r['perIteration'])
        if r['fixed'] > 0:
            fixed[0].append([factor * x for x in [E, E * k, side * k, 1]])
            fixed[1].append(r['fixed'])
    a, lo, hi = fit(*per_iteration)
    g, flo, fhi = fit(*fixed)
    ns = lambda xs: ', '.join(f'{x * 1e9:.4g}' for x in xs)
    print(f"  // {name}: {len(rows)} cases, iteration {lo:.2f}–{hi:.2f}×, fixed {flo:.2f}–{fhi:.2f}× of measured")
    print(f"  '{name}': {{ iteration: [{ns(a)}], fixed: [{ns(g)}] }},")
