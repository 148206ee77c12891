#!/usr/bin/env Rscript
# Time-to-solution driver for `npm run bench` on R's peers: one fit from the peer's own start to its
# own stopping rule, one JSON line on stdout.
#
#   Rscript solution_r.R check
#   Rscript solution_r.R rcppml --dir DIR --set NAME --rank K [--tol 1e-4] [--maxit 100] [--threads 2]
#   Rscript solution_r.R nmf --dir DIR --set NAME --rank K --method brunet|lee
#
# rcppml: RcppML::nmf (Debian's r-cran-rcppml 0.3.7): alternating least squares, each column solved
#   by a Cholesky solve and, where that goes negative, coordinate-descent NNLS; W's rows scaled to
#   sum 1 into a diagonal d after each update (`diag = TRUE`); random start from `seed`; stops when
#   1 − cor(W, W_previous) < tol (default 1e-4) or at maxit (default 100). Frobenius only; OpenMP
#   threads set with setRcppMLthreads. Its own reported error is a mean squared error, so the loss
#   printed here is computed from its factors as ½‖V − W·diag(d)·H‖², the definition ours and
#   scikit-learn's use.
# nmf: the NMF package's nmf(V, k, method, seed = 0): random start, its default stopping rule
#   (stationarity of the objective, at most 2000 iterations); brunet = KL multiplicative updates,
#   lee = Frobenius ones; one thread.
# Data come from DIR in the bench's binary layout (dense only). Timed: the fit call only. The
# process is warmed first with a 5-iteration fit of the same shape.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: solution_r.R check | rcppml ... | nmf ...")
if (args[1] == "check") {
  have <- c(RcppML = requireNamespace("RcppML", quietly = TRUE), NMF = requireNamespace("NMF", quietly = TRUE))
  cat(sprintf('{"RcppML": %s, "NMF": %s}\n', tolower(have[["RcppML"]]), tolower(have[["NMF"]])))
  quit(status = 0)
}
tool <- args[1]
opt <- list()
i <- 2
while (i < length(args)) {
  opt[[sub("^--", "", args[i])]] <- args[i + 1]
  i <- i + 2
}
header <- readLines(file.path(opt$dir, paste0(opt$set, ".json")), warn = FALSE)
field <- function(name) as.numeric(sub(paste0('.*"', name, '": *([0-9]+).*'), "\\1", header))
m <- field("rows")
n <- field("cols")
k <- as.integer(opt$rank)
read_f64 <- function(path, rows, cols) {
  con <- file(path, "rb")
  on.exit(close(con))
  matrix(readBin(con, "double", n = rows * cols, size = 8, endian = "little"), nrow = rows, ncol = cols, byrow = TRUE)
}
V <- read_f64(file.path(opt$dir, paste0(opt$set, ".V.f64")), m, n)
getopt <- function(name, default) if (is.null(opt[[name]])) default else opt[[name]]

if (tool == "rcppml") {
  suppressMessages(library(RcppML))
  threads <- as.integer(getopt("threads", "2"))
  setRcppMLthreads(threads)
  tol <- as.numeric(getopt("tol", "1e-4"))
  maxit <- as.integer(getopt("maxit", "100"))
  invisible(RcppML::nmf(V, k, tol = tol, maxit = 5, verbose = FALSE, seed = 0))
  t0 <- proc.time()[["elapsed"]]
  res <- RcppML::nmf(V, k, tol = tol, maxit = maxit, verbose = FALSE, seed = 0)
  secs <- proc.time()[["elapsed"]] - t0
  WH <- res$w %*% (res$d * res$h)
  loss <- 0.5 * sum((V - WH)^2)
  cat(sprintf(paste0('{"tool": "RcppML", "version": "%s", "iterations": %d, "seconds": %.6f, ',
                     '"finalLoss": %.17g, "threads": %d, "tol": %g}\n'),
              as.character(packageVersion("RcppML")), as.integer(res$iter), secs, loss, threads, tol))
} else if (tool == "nmf") {
  suppressMessages(library(NMF))
  method <- opt$method
  fit <- function(stop) {
    withCallingHandlers(if (is.null(stop)) nmf(V, k, method, seed = 0) else nmf(V, k, method, seed = 0, .stop = stop),
                        warning = function(w) invokeRestart("muffleWarning"))
  }
  # R NMF's default stopping rule for brunet compares consensus matrices, which fails on data
  # with an all-zero column (digits has three): report that rather than a number.
  failed <- function(e) {
    cat(sprintf('{"tool": "R NMF %s", "error": "R NMF fails here: %s"}\n', method,
                gsub('"', "'", conditionMessage(e))))
    quit(status = 0)
  }
  tryCatch(invisible(fit(5L)), error = failed)
  t0 <- proc.time()[["elapsed"]]
  res <- tryCatch(fit(NULL), error = failed)
  secs <- proc.time()[["elapsed"]] - t0
  WH <- basis(res) %*% coef(res)
  loss <- if (method == "brunet") {
    pos <- V > 0
    sum(V[pos] * log(V[pos] / WH[pos])) - sum(V) + sum(WH)
  } else {
    0.5 * sum((V - WH)^2)
  }
  cat(sprintf(paste0('{"tool": "R NMF %s", "version": "%s", "iterations": %d, "seconds": %.6f, ',
                     '"finalLoss": %.17g, "threads": 1}\n'),
              method, as.character(packageVersion("NMF")), as.integer(niter(res)), secs, loss))
} else {
  stop(paste("unknown tool", tool))
}
