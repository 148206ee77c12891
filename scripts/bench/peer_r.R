#!/usr/bin/env Rscript
# R NMF package driver for `npm run bench`: one timed fit, one JSON line on stdout.
#
#   Rscript peer_r.R check
#   Rscript peer_r.R run --dir DIR --set NAME --rank K --method brunet|lee --iters N
#
# Data and start come from DIR in the bench's binary layout (dense only: R's nmf() needs a base
# matrix). The start is passed as seed = nmfModel(W0, H0), so R begins where every other tool
# begins; .stop = N (an integer) runs exactly N iterations. brunet is KL multiplicative updates and
# lee Frobenius ones, both hand-written C++ loops without BLAS (one thread); both update H before W.
# Timed: the nmf() call (which also evaluates its objective once at the end). Peak RSS: VmHWM,
# reset through /proc/self/clear_refs just before the fit. The final loss (0.5*||V - WH||^2, or
# generalised KL) is computed here after the timing.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: peer_r.R check | run --dir DIR --set NAME --rank K --method M --iters N")
if (args[1] == "check") {
  suppressMessages(library(NMF))
  cat(sprintf('{"NMF": "%s"}\n', as.character(packageVersion("NMF"))))
  quit(status = 0)
}
opt <- list()
i <- 2
while (i < length(args)) {
  opt[[sub("^--", "", args[i])]] <- args[i + 1]
  i <- i + 2
}
suppressMessages(library(NMF))

header <- readLines(file.path(opt$dir, paste0(opt$set, ".json")), warn = FALSE)
field <- function(name) as.numeric(sub(paste0('.*"', name, '": *([0-9]+).*'), "\\1", header))
m <- field("rows")
n <- field("cols")
k <- as.integer(opt$rank)
iters <- as.integer(opt$iters)
read_f64 <- function(path, rows, cols) {
  con <- file(path, "rb")
  on.exit(close(con))
  matrix(readBin(con, "double", n = rows * cols, size = 8, endian = "little"), nrow = rows, ncol = cols, byrow = TRUE)
}
V <- read_f64(file.path(opt$dir, paste0(opt$set, ".V.f64")), m, n)
W0 <- read_f64(file.path(opt$dir, sprintf("%s.k%d.W0.f64", opt$set, k)), m, k)
H0 <- read_f64(file.path(opt$dir, sprintf("%s.k%d.H0.f64", opt$set, k)), k, n)
seed <- nmfModel(W = W0, H = H0)

hwm_mb <- function() {
  s <- tryCatch(readLines("/proc/self/status"), error = function(e) character())
  l <- grep("^VmHWM:", s, value = TRUE)
  if (!length(l)) return(NA)
  as.numeric(strsplit(trimws(sub("VmHWM:", "", l)), " +")[[1]][1]) / 1024
}

invisible(gc())
try(writeLines("5", "/proc/self/clear_refs"), silent = TRUE)
t0 <- proc.time()[["elapsed"]]
res <- withCallingHandlers(nmf(V, k, opt$method, seed = seed, .stop = iters),
                           warning = function(w) invokeRestart("muffleWarning"))
secs <- proc.time()[["elapsed"]] - t0
peak <- hwm_mb()

W <- basis(res)
H <- coef(res)
WH <- W %*% H
loss <- if (opt$method == "brunet") {
  pos <- V > 0
  sum(V[pos] * log(V[pos] / WH[pos])) - sum(V) + sum(WH)
} else {
  0.5 * sum((V - WH)^2)
}
cat(sprintf(paste0('{"tool": "R NMF %s", "version": "%s", "iterations": %d, "seconds": %.6f, ',
                   '"secondsPerIter": %.8f, "finalLoss": %.17g, "threads": 1, "peakRssMb": %.1f}\n'),
            opt$method, as.character(packageVersion("NMF")), iters, secs, secs / iters, loss, peak))
