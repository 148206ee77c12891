#!/usr/bin/python3
"""Reference fixtures for src/shared/analysis tests (dev only; the tests read the JSON it writes).

    /usr/bin/python3 scripts/oracle/make-analysis-fixtures.py [--peers DIR] [--out DIR]

Needs Debian's numpy / scipy / scikit-learn (python3-sklearn) and the peer scripts
oracle_lsa.py and make_data.py (default --peers ../shared/peers beside the repository). Writes to
src/shared/analysis/__tests__/fixtures/:

  lsa.json          random rectangular similarity matrices and the optimal matching that
                    scipy.optimize.linear_sum_assignment(S, maximize=True) finds (via oracle_lsa.py)
  consensus.json    consensus matrices (continuous, and one from discrete labelings with ties):
                    scipy average linkage on 1 - C, cophenetic correlation, cophenetic distances,
                    fcluster(maxclust=k), dispersion
  ari.json          labelings and sklearn.metrics.adjusted_rand_score
  pca.json          a small non-negative matrix and sklearn PCA on its transpose
  modules_small.json  make_data.py's modules_small data set (V, true W, modules, moonlighting)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.cluster.hierarchy import cophenet, fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(out, name, obj):
    path = os.path.join(out, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes")


def tsv(S):
    rows = ["r%d" % i for i in range(S.shape[0])]
    cols = ["c%d" % j for j in range(S.shape[1])]
    lines = ["name\t" + "\t".join(cols)]
    for name, row in zip(rows, S):
        lines.append(name + "\t" + "\t".join("%.17g" % v for v in row))
    return "\n".join(lines) + "\n"


def lsa_cases(peers):
    rng = np.random.default_rng(20240601)
    shapes = [(3, 3), (5, 5), (4, 7), (7, 4), (8, 3), (6, 10), (10, 12), (12, 9), (2, 9), (15, 15)]
    cases = []
    for nr, nc in shapes:
        # cosine-like similarities in [0, 1], with a few strong pairs as aligned runs have
        S = rng.uniform(0.0, 0.6, size=(nr, nc))
        for i, j in zip(rng.permutation(nr)[: min(nr, nc)], rng.permutation(nc)[: min(nr, nc)]):
            S[i, j] = rng.uniform(0.5, 1.0)
        p = subprocess.run(
            ["/usr/bin/python3", os.path.join(peers, "oracle_lsa.py"), "-"],
            input=tsv(S), capture_output=True, text=True, check=True,
        )
        res = json.loads(p.stdout)
        cases.append({"S": S.tolist(), "row_ind": res["row_ind"], "col_ind": res["col_ind"],
                      "total": res["total"], "unique": res["unique"]})
    return {"source": "scipy.optimize.linear_sum_assignment(S, maximize=True) via oracle_lsa.py",
            "cases": cases}


def consensus_case(C, k, note):
    D = squareform(1.0 - C, checks=False)
    Z = linkage(D, method="average")
    c, coph = cophenet(Z, D)
    return {"note": note, "k": k, "C": C.tolist(), "cophenetic": float(c),
            "cophenetic_distances": coph.tolist(), "heights": Z[:, 2].tolist(),
            "clusters": (fcluster(Z, k, criterion="maxclust") - 1).tolist(),
            "dispersion": float(np.mean(4.0 * (C - 0.5) ** 2))}


def consensus_cases():
    rng = np.random.default_rng(7)
    n, k = 24, 3
    truth = np.repeat(np.arange(k), n // k)
    rng.shuffle(truth)
    base = (truth[:, None] == truth[None, :]).astype(float)
    noise = rng.uniform(0.0, 0.35, size=(n, n))
    C = np.clip(np.abs(base - (noise + noise.T) / 2), 0.0, 1.0)
    np.fill_diagonal(C, 1.0)
    continuous = consensus_case(C, k, "block structure plus symmetric noise, no ties")

    # consensus of 10 discrete labelings: values are multiples of 0.1, so distances tie
    n2, k2, reps = 18, 4, 10
    truth2 = rng.integers(0, k2, size=n2)
    labelings = []
    for _ in range(reps):
        lab = truth2.copy()
        flip = rng.uniform(size=n2) < 0.2
        lab[flip] = rng.integers(0, k2, size=int(flip.sum()))
        labelings.append(lab)
    L = np.array(labelings)
    C2 = np.mean(L[:, :, None] == L[:, None, :], axis=0)
    tied = consensus_case(C2, k2, "mean connectivity of 10 labelings; tied distances")
    tied["labelings"] = L.tolist()
    return {"source": "scipy.cluster.hierarchy linkage(average) + cophenet + fcluster(maxclust) on 1 - C",
            "cases": [continuous, tied]}


def ari_cases():
    rng = np.random.default_rng(11)
    cases = []
    for n, ka, kb in [(50, 3, 3), (100, 5, 6), (30, 2, 4), (200, 8, 8), (40, 4, 1)]:
        a = rng.integers(0, ka, size=n)
        b = a.copy()
        flip = rng.uniform(size=n) < 0.3
        b[flip] = rng.integers(0, kb, size=int(flip.sum()))
        cases.append({"a": a.tolist(), "b": b.tolist(), "ari": float(adjusted_rand_score(a, b))})
    a = rng.integers(0, 4, size=60)
    cases.append({"a": a.tolist(), "b": ((a + 1) % 4 * 10).tolist(), "ari": float(adjusted_rand_score(a, (a + 1) % 4 * 10))})
    cases.append({"a": [0] * 10, "b": [3] * 10, "ari": float(adjusted_rand_score([0] * 10, [3] * 10))})
    return {"source": "sklearn.metrics.adjusted_rand_score", "cases": cases}


def pca_case():
    rng = np.random.default_rng(3)
    m, n = 14, 9  # features x samples
    V = rng.gamma(2.0, 3.0, size=(m, n)) + np.outer(rng.uniform(0, 5, m), rng.uniform(0, 2, n))
    p = PCA(n_components=5, svd_solver="full").fit(V.T)
    scores = p.transform(V.T)
    return {"source": "sklearn.decomposition.PCA(n_components=5, svd_solver='full').fit(V.T)",
            "V": V.tolist(), "components": 5,
            "explained_variance": p.explained_variance_.tolist(),
            "explained_variance_ratio": p.explained_variance_ratio_.tolist(),
            "loadings": p.components_.T.tolist(), "scores": scores.tolist(),
            "mean": p.mean_.tolist()}


def modules_small(peers):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["/usr/bin/python3", os.path.join(peers, "make_data.py"), "--only", "modules_small",
                        "--out", tmp], check=True, capture_output=True)
        with open(os.path.join(tmp, "modules_small.tsv")) as f:
            lines = f.read().splitlines()
        with open(os.path.join(tmp, "modules_small.truth.json")) as f:
            truth = json.load(f)
    V = [[int(x) for x in line.split("\t")[1:]] for line in lines[1:]]
    return {"source": "make_data.py --only modules_small (seed 1121): N=100, M=60, R=5",
            "V": V, "W": truth["W"], "module": truth["module"],
            "moonlighting": [{"index": g["index"], "modules": g["modules"]} for g in truth["moonlighting"]],
            "scale": truth["scale"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=os.path.join(os.path.dirname(ROOT), "shared", "peers"))
    ap.add_argument("--out", default=os.path.join(ROOT, "src", "shared", "analysis", "__tests__", "fixtures"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    write(a.out, "lsa.json", lsa_cases(a.peers))
    write(a.out, "consensus.json", consensus_cases())
    write(a.out, "ari.json", ari_cases())
    write(a.out, "pca.json", pca_case())
    write(a.out, "modules_small.json", modules_small(a.peers))


if __name__ == "__main__":
    sys.exit(main())
