import { readFileSync } from 'node:fs';
import { main } from '../index';

/** What one in-process run of the command line printed, and its exit status. */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line, run in-process exactly as `nmf-studio …` runs it, its output captured. */
export async function cli(...args: string[]): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stderrIsTty: false,
  });
  return { code, stdout, stderr };
}

/** A TSV file as rows of cells (as `fit` writes W.tsv and H.tsv). */
export function readTsv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'));
}
