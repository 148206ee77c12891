#!/usr/bin/python3
"""Writes src/shared/analysis/__tests__/fixtures/cnmf-consensus.json: cNMF's consensus arithmetic.

Development tool only (tests read the committed JSON). Run with Debian's python3-sklearn 1.2.1:

    /usr/bin/python3 scripts/oracle/make-cnmf-fixtures.py

Replicate W's (features x k, as NMF Studio holds them) from noisy copies of three planted
components, plus one outlier replicate. The steps are written exactly as cNMF's `cNMF.consensus`
does them (github.com/dylkot/cNMF, src/cnmf/cnmf.py at 5dbc5baaa0b9079b55bce554d801caa235a50457),
with cNMF's spectra = the transposed W columns:
  l2 normalisation; local density from euclidean_distances and argpartition over n_neighbors + 1
  (own zero included) divided by n_neighbors, n_neighbors = int(0.3 * n_spectra / k); the density
  filter (< threshold); KMeans(n_clusters=k, n_init=10, random_state=1); per-cluster median,
  normalised to sum 1; silhouette_score(l2 spectra, labels, metric='euclidean').
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import euclidean_distances

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "shared", "analysis",
                   "__tests__", "fixtures", "cnmf-consensus.json")
M, K, R = 15, 3, 10


def main():
    rng = np.random.RandomState(20261205)
    truth = rng.gamma(1.0, 1.0, size=(M, K))
    replicates = []
    for r in range(R):
        W = truth * rng.uniform(0.7, 1.3, size=(M, K)) * rng.uniform(0.5, 2.0, size=(1, K))
        W = W[:, rng.permutation(K)]
        replicates.append(W)
    replicates.append(rng.gamma(0.3, 1.0, size=(M, K)))  # an outlier replicate
    spectra = np.concatenate([W.T for W in replicates], axis=0)  # (R+1)*K x M, replicate by replicate
    n_neighbors = int(0.30 * spectra.shape[0] / K)
    l2 = (spectra.T / np.sqrt((spectra ** 2).sum(axis=1))).T
    dist = euclidean_distances(l2)
    order = np.argpartition(dist, n_neighbors + 1)[:, :n_neighbors + 1]
    density = dist[np.arange(dist.shape[0])[:, None], order].sum(1) / n_neighbors
    threshold = 0.5
    keep = density < threshold
    kept = l2[keep, :]
    labels = KMeans(n_clusters=K, n_init=10, random_state=1).fit(kept).labels_
    medians = np.array([np.median(kept[labels == c], axis=0) for c in range(K)])
    medians = (medians.T / medians.sum(1)).T
    out = {
        "generator": "scripts/oracle/make-cnmf-fixtures.py",
        "sklearnVersion": sklearn.__version__,
        "features": M,
        "rank": K,
        "replicates": [[float(x) for x in W.ravel()] for W in replicates],
        "neighbours": n_neighbors,
        "threshold": threshold,
        "density": [float(x) for x in density],
        "kept": [bool(x) for x in keep],
        "labels": [int(x) for x in labels],
        "silhouette": float(silhouette_score(kept, labels, metric="euclidean")),
        "consensus": [[float(x) for x in row] for row in medians],  # k x M (cNMF's spectra)
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)}: kept {int(keep.sum())} of {len(keep)}", file=sys.stderr)


if __name__ == "__main__":
    main()
