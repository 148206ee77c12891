#!/usr/bin/python3
"""Writes src/shared/nmf/__tests__/fixtures/sklearn-nmf.json: scikit-learn's NMF on small data.

Development tool only (tests read the committed JSON and need no Python). Run with Debian's
python3-sklearn 1.2.1:

    /usr/bin/python3 scripts/oracle/make-nmf-fixtures.py

Data (V is features x samples in the app; scikit-learn's X is the same matrix, rows = its samples):
  dense     30 x 20 Poisson counts of a rank-4 product, with zeros and one all-zero column
  sparse    30 x 20 counts, about 65% zeros, given to sklearn as scipy CSR (its sparse code path)
  positive  30 x 20 strictly positive values (for beta <= 0, which rejects zeros)
Every fit starts from the same random W0 (30 x 4) / H0 (4 x 20) (init='custom', copies passed).
Numbers are written with repr, so float64 values round-trip exactly.
"""
import json
import os
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence, _initialize_nmf

from fixture_data import count_datasets, csr_json, dense_json, nmf_fixture_path

OUT = nmf_fixture_path("sklearn-nmf.json")
M, N, R = 30, 20, 4


def make_data():
    rng = np.random.RandomState(20240501)
    dense, sparse, positive = count_datasets(rng, M, N, R, zero_column=5)
    W0 = np.abs(rng.standard_normal((M, R))) * np.sqrt(dense.mean() / R)
    H0 = np.abs(rng.standard_normal((R, N))) * np.sqrt(dense.mean() / R)
    return dense, sparse, positive, W0, H0


def run(X, W0, H0, beta, solver, iters, tol=0.0, alpha_W=0.0, alpha_H=0.0, l1_ratio=0.0):
    model = NMF(n_components=R, init="custom", solver=solver, beta_loss=beta, max_iter=iters, tol=tol,
                alpha_W=alpha_W, alpha_H=alpha_H, l1_ratio=l1_ratio, random_state=0)
    W = model.fit_transform(X, W=W0.copy(), H=H0.copy())
    H = model.components_
    return W, H, model.n_iter_


def main():
    dense, sparse, positive, W0, H0 = make_data()
    datasets = {"dense": dense, "sparse": sp.csr_matrix(sparse), "positive": positive}
    cases = []

    def add(name, data, beta, solver, iters, **kw):
        X = datasets[data]
        W, H, n_iter = run(X, W0, H0, beta, solver, iters, **kw)
        cases.append({
            "name": name, "data": data, "beta": beta, "solver": solver, "iters": iters,
            "tol": kw.get("tol", 0.0), "alphaW": kw.get("alpha_W", 0.0), "alphaH": kw.get("alpha_H", 0.0),
            "l1Ratio": kw.get("l1_ratio", 0.0), "nIter": int(n_iter),
            "lossInit": float(_beta_divergence(X, W0, H0, beta)),
            "loss": float(_beta_divergence(X, W, H, beta)),
            "W": [float(x) for x in W.ravel()], "H": [float(x) for x in H.ravel()],
        })

    for data in ("dense", "sparse"):
        for beta in (2.0, 1.0, 0.5, 1.5, 3.0):
            add(f"mu beta={beta} {data}", data, beta, "mu", 80)
        add(f"cd {data}", data, 2.0, "cd", 80)
    for beta in (0.0, 1.0, 2.5):
        add(f"mu beta={beta} positive", "positive", beta, "mu", 80)
    reg = dict(alpha_W=0.01, alpha_H=0.03, l1_ratio=0.4)
    add("mu kl regularised dense", "dense", 1.0, "mu", 60, **reg)
    add("mu kl regularised sparse", "sparse", 1.0, "mu", 60, **reg)
    add("mu frobenius regularised dense", "dense", 2.0, "mu", 60, **reg)
    add("mu beta=0.5 regularised sparse", "sparse", 0.5, "mu", 60, **reg)
    add("cd regularised dense", "dense", 2.0, "cd", 60, **reg)
    add("cd regularised sparse", "sparse", 2.0, "cd", 60, **reg)
    add("mu kl tol dense", "dense", 1.0, "mu", 400, tol=1e-3)
    add("cd tol dense", "dense", 2.0, "cd", 400, tol=1e-3)

    inits = []
    for method in ("nndsvd", "nndsvda"):
        Wi, Hi = _initialize_nmf(dense, R, init=method, random_state=0)
        inits.append({"method": method, "data": "dense", "W": [float(x) for x in Wi.ravel()],
                      "H": [float(x) for x in Hi.ravel()]})
    singular = np.linalg.svd(dense, compute_uv=False)[:R]

    out = {
        "generator": "scripts/oracle/make-nmf-fixtures.py",
        "sklearnVersion": sklearn.__version__,
        "rank": R,
        "dense": dense_json(dense),
        "sparse": csr_json(sparse),
        "positive": dense_json(positive),
        "W0": dense_json(W0),
        "H0": dense_json(H0),
        "singularValues": [float(x) for x in singular],
        "cases": cases,
        "inits": inits,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)}: {len(cases)} cases, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
