"""What the scikit-learn fixture scripts (make-nmf-, make-projection-, make-minibatch-fixtures.py)
share: where the NMF fixtures live, their three small data sets, and how matrices are written.

Data (V is features x samples, m x n), drawn from the caller's RandomState in this order:
  dense     Poisson counts of a rank-r product, with zeros and one all-zero sample (column)
  sparse    about 65% zeros, given to scikit-learn as scipy CSR (its sparse code path)
  positive  strictly positive values (for beta <= 0, which rejects zeros)
The caller goes on drawing its starts or held factors from the same generator. Numbers are
written with repr, so float64 values round-trip exactly.
"""
import os

import numpy as np
import scipy.sparse as sp


def nmf_fixture_path(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "shared", "nmf", "__tests__",
                        "fixtures", name)


def count_datasets(rng, m, n, r, zero_column):
    W = rng.gamma(0.6, 1.0, size=(m, r))
    H = rng.gamma(0.6, 1.0, size=(r, n))
    dense = rng.poisson(3.0 * W @ H).astype(np.float64)
    dense[:, zero_column] = 0.0  # an all-zero sample
    sparse = rng.poisson(0.6 * W @ H).astype(np.float64)
    sparse[rng.uniform(size=sparse.shape) < 0.3] = 0.0
    positive = 3.0 * W @ H + rng.uniform(0.05, 0.5, size=(m, n))
    return dense, sparse, positive


def dense_json(A):
    return {"rows": A.shape[0], "cols": A.shape[1], "data": [float(x) for x in np.ravel(A)]}


def csr_json(A):
    C = sp.csr_matrix(A)
    C.sort_indices()
    return {"rows": C.shape[0], "cols": C.shape[1], "indptr": C.indptr.tolist(), "indices": C.indices.tolist(),
            "data": [float(x) for x in C.data]}
