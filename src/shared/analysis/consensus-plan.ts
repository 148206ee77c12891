import type { DenseMatrix } from '../linalg/matrix';

/**
 * The plan of a cNMF consensus run (Kotliar et al. 2019) as a list of independent replicate fits,
 * the split the sweep has (planSweep → runSweepJob → summarizeSweep): the local run and a cluster
 * job array plan the same replicates, run each with the same fit, and summarise every rank from the
 * replicates' W in the same way. Pure: no Node, no DOM.
 */

/** One replicate fit: rank k from a random start with seed `fit.seed + replicate` (as cNMF numbers its iterations). */
export interface ConsensusReplicateJob {
  /** Unique in the plan: `k<rank>/replicate/<replicate>`. */
  id: string;
  rank: number;
  /** 0-based replicate number. */
  replicate: number;
  seed: number;
}

/** What a consensus keeps of a replicate fit: its W and how the fit went (H is refitted later). */
export interface ConsensusReplicateResult {
  jobId: string;
  rank: number;
  replicate: number;
  seed: number;
  /** Shape of V (m × n) the fit saw. */
  rows: number;
  cols: number;
  loss: number;
  iterations: number;
  /** m × rank, row-major. */
  W: DenseMatrix;
}

/** The parts of the consensus parameters that decide its replicate fits. */
export interface ConsensusPlanSpec {
  fromRank: number;
  toRank: number;
  replicates: number;
  fit: { seed: number };
}

/** Every (rank, replicate) fit, rank by rank, replicate r with seed `fit.seed + r`. */
export function planConsensusReplicates(spec: ConsensusPlanSpec): ConsensusReplicateJob[] {
  const jobs: ConsensusReplicateJob[] = [];
  for (let rank = spec.fromRank; rank <= spec.toRank; rank++) {
    for (let replicate = 0; replicate < spec.replicates; replicate++) {
      jobs.push({
        id: consensusReplicateId(rank, replicate),
        rank,
        replicate,
        seed: spec.fit.seed + replicate,
      });
    }
  }
  return jobs;
}

export function consensusReplicateId(rank: number, replicate: number): string {
  return `k${rank}/replicate/${replicate}`;
}
