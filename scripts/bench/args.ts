import type { Solver } from '../../src/shared/nmf';

/**
 * The bench drivers' command-line reading: `--key value` pairs. The last occurrence of a key
 * wins, so a caller can override one option of a common argument list by appending it.
 */
export function benchArgs(args: readonly string[] = process.argv.slice(2)): {
  /** The value after `key`, else `fallback`; throws when neither exists. */
  get: (key: string, fallback?: string) => string;
  /** Whether the flag `key` is present. */
  has: (key: string) => boolean;
} {
  return {
    get: (key, fallback) => {
      const at = args.lastIndexOf(key);
      const value = at >= 0 ? args[at + 1] : fallback;
      if (value === undefined) throw new Error(`${key} is required`);
      return value;
    },
    has: (key) => args.includes(key),
  };
}

/**
 * The fit case the single-fit drivers share: `--dir` (the bench's data folder), `--set` (a set
 * data.ts wrote there), `--rank`, `--beta` and `--solver`.
 */
export function benchFitCase(get: ReturnType<typeof benchArgs>['get']): {
  dir: string;
  set: string;
  k: number;
  beta: number;
  solver: Solver;
} {
  return {
    dir: get('--dir'),
    set: get('--set'),
    k: Number(get('--rank')),
    beta: Number(get('--beta')),
    solver: get('--solver') as Solver,
  };
}
