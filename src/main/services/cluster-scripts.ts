import {
  JOB_FOLDER,
  arrayScriptName,
  slurmTimeLimit,
  type ClusterPlan,
} from '../../shared/analysis/cluster-plan';

/**
 * The scheduler's part of a job folder: SLURM batch scripts and the README telling the user what to
 * type. Only these depend on SLURM; another array scheduler needs other templates (docs/architecture.md).
 */

function sbatchHeader(plan: ClusterPlan, lines: string[]): string {
  const r = plan.resources;
  return [
    '#!/bin/bash',
    ...lines,
    `#SBATCH --cpus-per-task=${r.cpus}`,
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
  ].join('\n');
}

/**
 * The array job. Only this file (and merge.sbatch) is SLURM's: another array scheduler needs the
 * same command with its own directives and task variable (docs/architecture.md).
 */
export function arrayScript(plan: ClusterPlan): string {
  const r = plan.resources;
  const script = arrayScriptName(plan.kind);
  return `${sbatchHeader(plan, [
    `# NMF Studio ${plan.kind} of ${plan.data.name} (${plan.data.rows} × ${plan.data.cols}): ${plan.fits.length} fits in ${plan.tasks} array tasks, plan ${plan.planId}.`,
    `# Submit from this folder: sbatch ${script} (see README.md). Resources: ` + r.basis + '.',
    `#SBATCH --job-name=nmf-${plan.kind}`,
    `#SBATCH --array=0-${plan.tasks - 1}`,
    `#SBATCH --time=${r.time}`,
    `#SBATCH --mem=${r.memMiB}M`,
    '#SBATCH --output=logs/task-%a.out',
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
  ])}
set -euo pipefail
DIR="\${SLURM_SUBMIT_DIR:-$(pwd)}"
if [ ! -f "$DIR/${JOB_FOLDER.plan}" ]; then
  echo "submit ${script} from its job folder (no ${JOB_FOLDER.plan} in $DIR)" >&2
  exit 2
fi
# The command that runs nmf-studio on the nodes; set NMF_STUDIO before sbatch to change it.
NMF_STUDIO="\${NMF_STUDIO:-nmf-studio}"
$NMF_STUDIO sweep-task "$DIR" --task "$SLURM_ARRAY_TASK_ID" --threads ${r.cpus} --progress
`;
}

export function mergeScript(plan: ClusterPlan): string {
  return `${sbatchHeader(plan, [
    `# Checks and merges the results of plan ${plan.planId} once the array has ended (any outcome),`,
    `# writing ${plan.kind === 'consensus' ? 'W.tsv, H.tsv, run.json, consensus.json (k<rank>/ and ranks.json for a range)' : 'ranks.json and k<rank>/'} to merged/. It keeps no library on the cluster: bring the`,
    '# folder home and import it (sweep-merge DIR, or "Import cluster results…" in the app).',
    '# Submit after the array: sbatch --dependency=afterany:<array job id> merge.sbatch',
    `#SBATCH --job-name=nmf-${plan.kind}-merge`,
    `#SBATCH --time=${slurmTimeLimit(60)}`,
    `#SBATCH --mem=${plan.resources.memMiB}M`,
    '#SBATCH --output=logs/merge.out',
  ])}
set -euo pipefail
DIR="\${SLURM_SUBMIT_DIR:-$(pwd)}"
NMF_STUDIO="\${NMF_STUDIO:-nmf-studio}"
$NMF_STUDIO sweep-merge "$DIR" --no-save --out "$DIR/merged"
`;
}

export function readme(plan: ClusterPlan): string {
  const consensus = plan.kind === 'consensus';
  const params = plan.params as { fromRank: number; toRank: number };
  const script = arrayScriptName(plan.kind);
  return `# NMF Studio ${consensus ? 'consensus run' : 'sweep'} for a SLURM cluster

${plan.fits.length} ${consensus ? 'replicate fits' : 'fits'} of ${plan.data.name} (${plan.data.rows} × ${plan.data.cols}, ranks ${params.fromRank}–${params.toRank}) in ${plan.tasks} array tasks.
Each task: ${plan.resources.cpus} CPU(s), ${plan.resources.memMiB} MiB, time limit ${plan.resources.time}${plan.resources.partition ? `, partition ${plan.resources.partition}` : ''}.
(${plan.resources.basis}.)

## On the cluster's login node

Copy this folder to the cluster (e.g. \`scp -r\` or \`rsync -a\`), make \`nmf-studio\` (version ${plan.appVersion})
available on the nodes (\`npm install -g\` it, or \`export NMF_STUDIO="node /path/to/nmf-studio/bin/nmf-studio.js"\`),
then, in this folder, type:

    jobid=$(sbatch --parsable ${script})
    sbatch --dependency=afterany:$jobid merge.sbatch

The first submits the array (task i runs \`nmf-studio sweep-task . --task i\`); the second checks and
merges the results when the array has ended. Logs go to \`logs/\`, one result file per fit to \`results/\`.
A task that is requeued or resubmitted skips the fits it already finished.

## Back home

Bring the whole folder back and merge it into your library:

    nmf-studio sweep-merge <this folder> --out <output folder>

or, in the app, "Import cluster results…" on the ${consensus ? 'New consensus' : 'New sweep'} screen (as a .tar.gz of the folder).
If fits are missing, the merge lists them and prints the \`sbatch --array=…\` command that reruns
just their tasks.

Files: \`plan.json\` (every fit: rank, ${consensus ? 'replicate, seed; the consensus options' : 'replicate or fold, seed, options'}; the data's SHA-256),
\`data.nmf\` (the matrix and its names in NMF Studio's binary frame), \`${script}\`, \`merge.sbatch\`.
`;
}
