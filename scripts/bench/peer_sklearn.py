#!/usr/bin/python3
"""scikit-learn driver for `npm run bench`: one timed fit per process, one JSON line on stdout.

  /usr/bin/python3 peer_sklearn.py check
  /usr/bin/python3 peer_sklearn.py digits --dir DIR          # writes the digits set (1797 x 64)
  /usr/bin/python3 peer_sklearn.py run --dir DIR --set NAME --rank K --loss kl|frobenius \
      --solver mu|cd|minibatch --iters N [--batch-size B] [--progress P] [--skip-reconstruction-err 1]
  /usr/bin/python3 peer_sklearn.py solution --dir DIR --set NAME --rank K --loss kl|frobenius \
      --solver mu|cd [--init nndsvda] [--tol 1e-4] [--max-iter 200]

Data and start come from DIR in the bench's binary layout (NAME.json header; NAME.V.f64 dense
row-major, or NAME.indptr.i32 / .indices.i32 / .data.f64 for CSR, passed to sklearn as a CSR
matrix; NAME.kK.W0.f64 m x k and NAME.kK.H0.f64 k x n). The fit is
NMF(init='custom', tol=0, max_iter=N).fit_transform(V, W=W0, H=H0): exactly N iterations from the
same start as every other tool. Our V (m x n) is sklearn's X (samples x features), so W and H keep
their meaning. Timed: the fit_transform call only, in wall and in CPU seconds (time.process_time:
the process's user + system time, every BLAS thread included). Peak RSS: VmHWM, reset through
/proc/self/clear_refs just before the fit. The final loss (0.5*||V - WH||^2 or generalised KL, the
definitions of sklearn's _beta_divergence) is computed after the timing, in row chunks.

--solver minibatch: MiniBatchNMF(init='custom', batch_size=B, max_iter=N, tol=0,
max_no_improvement=None, fresh_restarts=False): N passes over the samples in its fixed batch order.
Its samples are our columns, so it gets X = V.T as CSR (converted before the timing), starts from
W = H0.T, H = W0.T, and its W.T, components_.T are our H and W. --progress P writes the batches
done with the wall and CPU seconds so far to stderr every P batches. --skip-reconstruction-err 1
leaves out the full-data loss fit_transform computes after the last batch (fit_transform_without_error:
at 10^6 cells it is 35 of the 88 CPU seconds of a 1-pass fit and takes the peak RSS from 6 to 15 GB);
the final loss printed is computed from the factors either way, outside the timing.
"""
import json
import os
import sys
import time
import warnings


def vm_hwm_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def blas_threads():
    try:
        from threadpoolctl import threadpool_info

        counts = [p.get("num_threads", 1) for p in threadpool_info() if p.get("user_api") == "blas"]
        return max(counts) if counts else 1
    except Exception:
        return None


def log_progress(model, every, clocks):
    """Writes a JSON line to stderr every `every` batches of a MiniBatchNMF fit (batches done, wall
    and CPU seconds since the fit began), so a fit too long to wait for can be timed by its pace.
    Wraps the model's per-batch step; the fit itself is unchanged."""
    step = model._minibatch_step
    done = [0]

    def counted(*a, **kw):
        out = step(*a, **kw)
        done[0] += 1
        if done[0] % every == 0:
            wall, cpu = clocks()
            print(json.dumps({"batches": done[0], "seconds": wall, "cpuSeconds": cpu}), file=sys.stderr, flush=True)
        return out

    model._minibatch_step = counted


def fit_transform_without_error(model, X, W, H):
    """MiniBatchNMF.fit_transform of scikit-learn 1.2 without its closing `reconstruction_err_`:
    the same validation and `_fit_transform` (every batch update and batch cost), not the
    full-data beta divergence after them. For sparse X that divergence goes through
    `_special_sparse_dot`, which holds int64 row and column indices of every non-zero, the products
    and a COO-to-CSR copy: at 2.2e8 non-zeros the fit's peak RSS went from 6.2 to 14.6 GB."""
    import numpy as np
    from sklearn import config_context

    model._validate_params()
    X = model._validate_data(X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])
    with config_context(assume_finite=True):
        W, H, n_iter, n_steps = model._fit_transform(X, W=W, H=H)
    model.n_components_ = H.shape[0]
    model.components_ = H
    model.n_iter_ = n_iter
    model.n_steps_ = n_steps
    return W


def read_set(directory, name):
    import numpy as np
    import scipy.sparse as sp

    with open(os.path.join(directory, name + ".json")) as f:
        header = json.load(f)
    m, n = header["rows"], header["cols"]
    if header["kind"] == "dense":
        V = np.fromfile(os.path.join(directory, name + ".V.f64"), dtype="<f8").reshape(m, n)
    else:
        indptr = np.fromfile(os.path.join(directory, name + ".indptr.i32"), dtype="<i4")
        indices = np.fromfile(os.path.join(directory, name + ".indices.i32"), dtype="<i4")
        data = np.fromfile(os.path.join(directory, name + ".data.f64"), dtype="<f8")
        V = sp.csr_matrix((data, indices, indptr), shape=(m, n))
    return header, V


def loss_of(V, W, H, loss):
    import numpy as np
    import scipy.sparse as sp

    total = 0.0
    m, n = V.shape
    step = max(1, min(1000, 10_000_000 // max(n, 1)))  # dense blocks of at most 10^7 entries
    for start in range(0, m, step):
        block = V[start:start + step]
        X = block.toarray() if sp.issparse(block) else block
        WH = W[start:start + step] @ H
        if loss == "frobenius":
            total += 0.5 * float(np.sum((X - WH) ** 2))
        else:
            pos = X > 0
            total += float(np.sum(X[pos] * np.log(X[pos] / WH[pos]))) - float(X.sum()) + float(WH.sum())
    return total


def run(args):
    import numpy as np
    from sklearn import __version__ as version
    from sklearn.decomposition import NMF

    header, V = read_set(args["dir"], args["set"])
    k = int(args["rank"])
    iters = int(args["iters"])
    m, n = header["rows"], header["cols"]
    W0 = np.fromfile(os.path.join(args["dir"], "%s.k%d.W0.f64" % (args["set"], k)), dtype="<f8").reshape(m, k)
    H0 = np.fromfile(os.path.join(args["dir"], "%s.k%d.H0.f64" % (args["set"], k)), dtype="<f8").reshape(k, n)
    loss = "kullback-leibler" if args["loss"] == "kl" else "frobenius"
    warnings.simplefilter("ignore")
    if args["solver"] == "minibatch":
        from sklearn.decomposition import MiniBatchNMF
        import scipy.sparse as sp

        X = V.T.tocsr() if sp.issparse(V) else np.ascontiguousarray(V.T)
        model = MiniBatchNMF(n_components=k, init="custom", beta_loss=loss, batch_size=int(args.get("batch-size", "1024")),
                             max_iter=iters, tol=0, max_no_improvement=None, fresh_restarts=False)
        every = int(args.get("progress", "0"))
        if every > 0:
            log_progress(model, every, lambda: (time.perf_counter() - started, time.process_time() - cpu_started))
        reset_hwm()
        cpu_started = time.process_time()
        started = time.perf_counter()
        if "skip-reconstruction-err" in args:
            Ws = fit_transform_without_error(model, X, H0.T.copy(), W0.T.copy())
        else:
            Ws = model.fit_transform(X, W=H0.T.copy(), H=W0.T.copy())
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak = vm_hwm_mb()
        W, H = np.ascontiguousarray(model.components_.T), np.ascontiguousarray(Ws.T)
    else:
        model = NMF(n_components=k, init="custom", solver=args["solver"], beta_loss=loss, max_iter=iters, tol=0)
        reset_hwm()
        cpu_started = time.process_time()
        started = time.perf_counter()
        W = model.fit_transform(V, W=W0.copy(), H=H0.copy())
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak = vm_hwm_mb()
        H = model.components_
    print(json.dumps({
        "tool": "sklearn",
        "version": version,
        "iterations": int(model.n_iter_),
        "seconds": seconds,
        "secondsPerIter": seconds / max(int(model.n_iter_), 1),
        "cpuSeconds": cpu_seconds,
        "finalLoss": loss_of(V, W, H, args["loss"]),
        "threads": blas_threads() if args["solver"] in ("mu", "minibatch") else 1,
        "peakRssMb": peak,
    }))


def solution(args):
    """Time to a solution: NMF from its own start (init, NNDSVDa by default as in 1.2) to its own
    stopping rule (tol, max_iter: scikit-learn's defaults unless given). Timed: fit_transform, the
    start included. The process is warmed first with a 5-iteration fit of the same shape (modules
    loaded, BLAS threads started), as ours is."""
    import numpy as np
    from sklearn import __version__ as version
    from sklearn.decomposition import NMF

    header, V = read_set(args["dir"], args["set"])
    k = int(args["rank"])
    loss = "kullback-leibler" if args["loss"] == "kl" else "frobenius"
    settings = dict(n_components=k, init=args.get("init", "nndsvda"), solver=args["solver"], beta_loss=loss,
                    tol=float(args.get("tol", "1e-4")), max_iter=int(args.get("max-iter", "200")), random_state=0)
    warnings.simplefilter("ignore")
    NMF(**{**settings, "max_iter": 5}).fit_transform(V)
    model = NMF(**settings)
    started = time.perf_counter()
    W = model.fit_transform(V)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "tool": "sklearn",
        "version": version,
        "solver": args["solver"],
        "init": settings["init"],
        "iterations": int(model.n_iter_),
        "seconds": seconds,
        "finalLoss": loss_of(V, W, model.components_, args["loss"]),
        "threads": blas_threads() if args["solver"] == "mu" else 1,
    }))


def digits(args):
    import numpy as np
    from sklearn.datasets import load_digits

    X = np.ascontiguousarray(load_digits().data, dtype="<f8")
    X.tofile(os.path.join(args["dir"], "digits.V.f64"))
    zeros = int((X == 0).sum())
    header = {"name": "digits", "kind": "dense", "rows": X.shape[0], "cols": X.shape[1],
              "nnz": X.size - zeros, "zeros": zeros / X.size}
    with open(os.path.join(args["dir"], "digits.json"), "w") as f:
        json.dump(header, f)
    print(json.dumps(header))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command = sys.argv[1]
    rest = sys.argv[2:]
    args = {rest[i].lstrip("-"): rest[i + 1] for i in range(0, len(rest) - 1, 2)}
    if command == "check":
        import sklearn  # noqa: F401
        import scipy  # noqa: F401

        print(json.dumps({"sklearn": sklearn.__version__}))
    elif command == "digits":
        digits(args)
    elif command == "run":
        run(args)
    elif command == "solution":
        solution(args)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
