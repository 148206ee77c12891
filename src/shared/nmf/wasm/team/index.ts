/**
 * A kernel team: the fit's own thread plus helper threads that run ONE kernel call together over a
 * shared WebAssembly memory, so that a single large fit uses more than one core while the engine
 * stays synchronous.
 *
 * Protocol. A small control block (Int32Array over a SharedArrayBuffer) holds a command sequence
 * number, the count of helpers done with the current command, the operation and a failure flag;
 * a Float64Array behind it holds the call's sizes and byte addresses. Per kernel call the fit thread
 * lays out the buffers, writes the command, bumps the sequence and `Atomics.notify`s, computes part 0
 * itself, then `Atomics.wait`s until every helper has counted itself done. Helpers sleep in
 * `Atomics.wait` between calls. Atomics.wait blocks, so a team can be used only where blocking is
 * allowed: Node's main thread and worker threads, not a browser's main thread.
 *
 * Same bits as one thread. Work is split by outputs, never inside a sum: the W-side kernels (KL
 * numerator of W, V·Hᵀ, the coordinate-descent sweep over the rows of W) split the rows of V, the
 * H-side kernels (KL numerator of H, Vᵀ·W, the sweep over the rows of Hᵀ) split the columns of V.
 * Each thread owns its output rows and adds, for each of them, the same terms in the same order (i
 * ascending) as the one-thread kernel, so W and H are bit-identical to the one-thread fit whatever
 * the thread count. The HALS violation is summed over all rows in row order once the parts are done,
 * as the one-thread sweep sums it.
 *
 * CSR V (the two KL numerators). The W side splits the rows of V, balanced by stored entries. The H
 * side splits the columns: each thread owns a window of columns holding about the same number of
 * stored entries, visits every row but only its entries in that window (where each row's window
 * starts is found once per V, by binary search in the row's sorted indices), gathers them into a
 * block of its own and adds into its rows of numHt only, over i ascending as on one thread. A row
 * of many stored entries takes another path to (WH)_ij than a sparse one (different bits), so the
 * kernel is told each row's full count and chooses as it does for the whole row.
 *
 * V reaches the helpers without a copy: its arrays (dense values; CSR indptr, indices and data)
 * must be backed by SharedArrayBuffers (the app's datasets are), and are handed over once per
 * distinct V via `KernelTeam.share`. V in ordinary ArrayBuffers is not copied: such calls simply
 * run on one thread.
 *
 * Spawning threads is the host's business (src/main/workers/kernel-team.ts); these files only need
 * the `KernelTeam` they are given and runs the same partition code on every thread.
 *
 * Files: ./protocol.ts (the control block, the operations and their named parameters, a thread's
 * view of the team), ./plan.ts (when to split, and how CSR V is cut), ./parts.ts (part p of each
 * operation, run by every thread), ./lead.ts (the fit thread's calls) and ./helper.ts (the helpers'
 * loop).
 */

export { TEAM_CONTROL_BYTES, type KernelTeam, type TeamArray } from './protocol';
export { kernelTeamWorthwhile } from './plan';
export {
  createTeamLead,
  releaseTeamLead,
  teamCdSweep,
  teamKlCsr,
  teamKlNumH,
  teamKlNumW,
  teamTimes,
  teamTransposeTimes,
  type TeamLead,
} from './lead';
export { serveKernelTeam, stopKernelTeam } from './helper';
