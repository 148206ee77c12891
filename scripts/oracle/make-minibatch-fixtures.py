#!/usr/bin/python3
"""Writes src/shared/nmf/__tests__/fixtures/sklearn-minibatch.json: scikit-learn's MiniBatchNMF runs.

Development tool only (tests read the committed JSON and need no Python). Run with Debian's
python3-sklearn 1.2.1:

    /usr/bin/python3 scripts/oracle/make-minibatch-fixtures.py

Orientation: our V is features x samples (m x n); MiniBatchNMF's X is samples x features, so
X = V.T, its per-sample W is our H.T and its components_ H are our W.T. It is started from the same
factors (init='custom': W = H0.T, H = W0.T) and visits batches in its fixed order (gen_batches, no
shuffling). Penalties: its alpha_W acts on its W (our H), alpha_H on its H (our W).

Data (V is features x samples, 30 x 50; batches of 16 samples: 16, 16, 16, 2):
  dense     Poisson counts of a rank-4 product, with zeros and one all-zero sample
  sparse    about 65% zeros, given to scikit-learn as scipy CSR (its sparse code path)
  positive  strictly positive values (for beta <= 0)
Numbers are written with repr, so float64 values round-trip exactly.
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import MiniBatchNMF
from sklearn.decomposition._nmf import _beta_divergence

from fixture_data import count_datasets, csr_json, dense_json, nmf_fixture_path

OUT = nmf_fixture_path("sklearn-minibatch.json")
M, N, R = 30, 50, 4


def make_data():
    rng = np.random.RandomState(20261206)
    dense, sparse, positive = count_datasets(rng, M, N, R, zero_column=7)
    W0 = rng.uniform(0.1, 1.5, size=(M, R))
    H0 = rng.uniform(0.1, 1.5, size=(R, N))
    return dense, sparse, positive, W0, H0


def main():
    dense, sparse, positive, W0, H0 = make_data()
    datasets = {"dense": dense, "sparse": sparse, "positive": positive}
    cases = []

    def add(data, beta, passes, batch=16, fresh=False, tol=0.0, max_no_improvement=None, forget=0.7,
            alpha_w=0.0, alpha_h=0.0, l1_ratio=0.0):
        V = datasets[data]
        X = V.T.copy()
        if data == "sparse":
            X = sp.csr_matrix(X)
        model = MiniBatchNMF(n_components=R, init="custom", beta_loss=beta, batch_size=batch, max_iter=passes,
                             tol=tol, max_no_improvement=max_no_improvement, forget_factor=forget,
                             fresh_restarts=fresh, alpha_W=alpha_w, alpha_H=alpha_h, l1_ratio=l1_ratio)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Ws = model.fit_transform(X, W=H0.T.copy(), H=W0.T.copy())
        Hs = model.components_
        loss = float(_beta_divergence(X, Ws, Hs, beta))
        cases.append({
            "name": f"beta={beta} {data} batch={batch} passes={passes}" + (" fresh" if fresh else "")
                    + (f" tol={tol}" if tol > 0 else "") + (f" noImprovement={max_no_improvement}"
                                                           if max_no_improvement is not None else "")
                    + (f" forget={forget}" if forget != 0.7 else "")
                    + (f" alphaW={alpha_w} alphaH={alpha_h} l1Ratio={l1_ratio}" if alpha_w or alpha_h else ""),
            "data": data, "beta": beta, "passes": passes, "batchSize": batch, "freshRestarts": fresh, "tol": tol,
            "maxNoImprovement": max_no_improvement, "forgetFactor": forget,
            "alphaW": alpha_w, "alphaH": alpha_h, "l1Ratio": l1_ratio,
            "nIter": int(model.n_iter_), "nSteps": int(model.n_steps_), "loss": loss,
            "W": [float(x) for x in np.ravel(Hs.T)], "H": [float(x) for x in np.ravel(Ws.T)],
        })

    for data in ("dense", "sparse"):
        add(data, 2.0, 3)
        add(data, 1.0, 3)
        add(data, 0.5, 3)
        add(data, 1.5, 3)
    add("positive", 0.0, 3)
    add("positive", 3.0, 2)
    add("sparse", 1.0, 2, batch=7)
    add("dense", 2.0, 2, batch=64)
    add("dense", 1.0, 3, forget=0.3)
    add("dense", 2.0, 2, fresh=True, tol=1e-4)
    add("sparse", 1.0, 2, fresh=True, tol=1e-4)
    add("dense", 1.0, 3, alpha_w=0.01, alpha_h=0.02, l1_ratio=0.4)
    add("sparse", 2.0, 3, alpha_w=0.01, alpha_h=0.02, l1_ratio=0.4)
    add("dense", 1.0, 200, tol=1e-4, max_no_improvement=10)
    add("sparse", 2.0, 200, tol=1e-3, max_no_improvement=5)
    add("dense", 2.0, 200, tol=0.0, max_no_improvement=3)

    out = {
        "generator": "scripts/oracle/make-minibatch-fixtures.py",
        "sklearnVersion": sklearn.__version__,
        "rank": R,
        "dense": dense_json(dense),
        "sparse": csr_json(sparse),
        "positive": dense_json(positive),
        "W0": dense_json(W0),
        "H0": dense_json(H0),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)}: {len(cases)} cases, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
