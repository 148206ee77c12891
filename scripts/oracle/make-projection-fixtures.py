#!/usr/bin/python3
"""Writes src/shared/nmf/__tests__/fixtures/sklearn-projection.json: one-sided fits of scikit-learn.

Development tool only (tests read the committed JSON and need no Python). Run with Debian's
python3-sklearn 1.2.1:

    /usr/bin/python3 scripts/oracle/make-projection-fixtures.py

scikit-learn's only one-sided fit is non_negative_factorization(X, H=components, update_H=False):
its components H are held and its W is fitted. Its X is samples x features, so:
  - projection (our W fixed, H fitted):  X = V.T, components = W.T, our H = its W.T;
  - the other side (our H fixed, W fitted): X = V, components = H, our W = its W.
Its start for the fitted factor is sqrt(X.mean() / k) everywhere for mu and zeros for cd
(NMF._check_w_h), which the engine reproduces when no start is given.

Data (V is features x samples, 30 x 20, as in make-nmf-fixtures.py):
  dense     Poisson counts of a rank-4 product, with zeros and one all-zero column
  sparse    about 65% zeros, given to scikit-learn as scipy CSR (its sparse code path)
  positive  strictly positive values (for beta <= 0)
The held factors are W_fixed (30 x 4) and H_fixed (4 x 20), Gamma-distributed.
Numbers are written with repr, so float64 values round-trip exactly.
"""
import json
import os
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import non_negative_factorization
from sklearn.decomposition._nmf import _beta_divergence

from fixture_data import count_datasets, csr_json, dense_json, nmf_fixture_path

OUT = nmf_fixture_path("sklearn-projection.json")
M, N, R = 30, 20, 4


def make_data():
    rng = np.random.RandomState(20261205)
    dense, sparse, positive = count_datasets(rng, M, N, R, zero_column=5)
    W_fixed = rng.gamma(0.8, 1.0, size=(M, R))
    H_fixed = rng.gamma(0.8, 1.0, size=(R, N))
    return dense, sparse, positive, W_fixed, H_fixed


def main():
    dense, sparse, positive, W_fixed, H_fixed = make_data()
    datasets = {"dense": dense, "sparse": sparse, "positive": positive}
    cases = []

    def add(data, fixed, beta, solver, iters, tol=0.0):
        V = datasets[data]
        if fixed == "W":
            X, components = V.T, W_fixed.T.copy()
        else:
            X, components = V, H_fixed.copy()
        if data == "sparse":
            X = sp.csr_matrix(X)
        free, _, n_iter = non_negative_factorization(
            X, H=components, n_components=R, update_H=False, solver=solver, beta_loss=beta,
            max_iter=iters, tol=tol, alpha_W=0.0, alpha_H="same", random_state=0)
        loss = float(_beta_divergence(X, free, components, beta))
        fitted = free.T if fixed == "W" else free  # our H (k x n) or our W (m x k)
        cases.append({
            "name": f"fixed {fixed} {solver} beta={beta} {data}" + (f" tol={tol}" if tol > 0 else ""),
            "data": data, "fixed": fixed, "beta": beta, "solver": solver, "iters": iters, "tol": tol,
            "nIter": int(n_iter), "loss": loss, "fitted": [float(x) for x in np.ravel(fitted)],
        })

    for data in ("dense", "sparse"):
        for fixed in ("W", "H"):
            add(data, fixed, 2.0, "cd", 60)
            add(data, fixed, 2.0, "mu", 60)
            add(data, fixed, 1.0, "mu", 60)
            add(data, fixed, 0.5, "mu", 60)
            add(data, fixed, 1.5, "mu", 60)
    add("positive", "W", 0.0, "mu", 60)
    add("positive", "H", 3.0, "mu", 60)
    add("dense", "W", 2.0, "cd", 500, tol=1e-3)
    add("dense", "W", 1.0, "mu", 500, tol=1e-3)
    add("dense", "W", 2.0, "mu", 500, tol=1e-3)

    out = {
        "generator": "scripts/oracle/make-projection-fixtures.py",
        "sklearnVersion": sklearn.__version__,
        "rank": R,
        "dense": dense_json(dense),
        "sparse": csr_json(sparse),
        "positive": dense_json(positive),
        "W": dense_json(W_fixed),
        "H": dense_json(H_fixed),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)}: {len(cases)} cases, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
