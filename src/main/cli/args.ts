import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ServiceError } from '../../shared/api';

/** Bad arguments or bad input: exit status 2 with one line on stderr (CLI.md). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with strict checking, turning its errors into UsageErrors that name the flag. A
 * negative number after a flag that takes a value is that flag's value (`--max-iter -1`), so that
 * the flag's own check refuses it by name; parseArgs alone would take it for an option and refuse
 * it as "ambiguous" in three lines that never name the problem.
 */
export function parse(
  args: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { args: joined, negatives } = joinNegativeValues(args, options);
  try {
    const parsed = parseArgs({ args: joined, options, allowPositionals: true, strict: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals.map((p) => negatives.get(p) ?? p),
    };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

/** A negative number as an argument: `-1`, `-.5`, `-1e3`. */
const NEGATIVE_NUMBER = /^-[\d.]/;

/**
 * `--flag -1` → `--flag=-1` for flags that take a value (see parse). A negative number elsewhere
 * is a positional argument (`datasets delete -1`), so that the command refuses it as an id or a
 * path by name; parseArgs would call it an unknown option. It travels through parseArgs as a
 * placeholder that cannot start an option (`negatives` maps it back).
 */
function joinNegativeValues(
  args: string[],
  options: Options,
): { args: string[]; negatives: Map<string, string> } {
  const joined: string[] = [];
  const negatives = new Map<string, string>();
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    const next = args[k + 1];
    if (arg === '--') {
      joined.push(...args.slice(k));
      break;
    }
    const flag = arg.startsWith('--') && !arg.includes('=') ? options[arg.slice(2)] : undefined;
    if (flag?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`);
      k++;
    } else if (NEGATIVE_NUMBER.test(arg)) {
      const placeholder = `\u0000negative ${negatives.size}`;
      negatives.set(placeholder, arg);
      joined.push(placeholder);
    } else {
      joined.push(arg);
    }
  }
  return { args: joined, negatives };
}

/**
 * A library id given as an argument (`datasets delete 3`): a whole number from 1 to
 * Number.MAX_SAFE_INTEGER, as SQLite's rowids are here. Anything else is refused saying what the
 * argument is and what an id is, rather than as "not found" (`0`, a twenty-digit id rounded) or
 * as an unknown option (`-1`).
 */
export function parseId(text: string | undefined, what: string, listing: string): number {
  if (text === undefined || text === '') throw new UsageError(`${what} needs an id (${listing} shows them)`);
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(
      `${what}: ${JSON.stringify(text)} is not an id (ids are whole numbers from 1; ${listing} shows them)`,
    );
  }
  return value;
}

/**
 * Text that reads as a try at a number rather than a file name: digits with at most a sign, dots
 * and an exponent (`3`, `-1`, `1.5`, `+2`, `1e3`, `.5`), at least one digit (`.` and `..` are
 * folders).
 */
const NUMERIC_ISH = /^[+-]?(?=[.\d]*\d)[.\d]+(?:e[+-]?\d+)?$/i;

/** An argument that names either a file or folder, or a library row by its id. */
export type PathOrId = { path: string } | { id: number };

/**
 * An argument that may be a path or a library id (`<run-dir|run-id>`, `<matrix|dataset-id>`). A
 * numeric-looking argument ({@link NUMERIC_ISH}) that names nothing on disk is an id and goes
 * through {@link parseId}, so `-1` or `1.5` is refused as a bad id rather than as a missing path;
 * anything else is a path. An existing path with a numeric-looking name stays a path, except a
 * whole number where `idOverPath` (run arguments: `assign 3` has always meant run 3, even beside a
 * folder named 3).
 */
export function pathOrId(
  text: string,
  what: string,
  listing: string,
  options: { idOverPath?: boolean } = {},
): PathOrId {
  if (!NUMERIC_ISH.test(text)) return { path: text };
  if (existsSync(text) && !(options.idOverPath === true && /^\d+$/.test(text))) return { path: text };
  return { id: parseId(text, what, listing) };
}

/** The flag that sets each field of the fit, sweep and consensus settings (their schemas' keys). */
const SETTING_FLAGS: Record<string, string> = {
  rank: '--rank',
  loss: '--loss',
  beta: '--loss',
  solver: '--solver',
  batchSize: '--batch-size',
  init: '--init',
  maxIter: '--max-iter',
  tol: '--tol',
  seed: '--seed',
  l1W: '--l1-w',
  l2W: '--l2-w',
  l1H: '--l1-h',
  l2H: '--l2-h',
  warmup: '--warmup',
  warmupTol: '--warmup-tol',
  replicates: '--replicates',
  fromRank: '--ranks',
  toRank: '--ranks',
  cvFolds: '--cv-folds',
  cvHoldout: '--cv-holdout',
  cvScreenAfterWarmup: '--cv-screen-after-warmup',
  baseline: '--no-baseline',
  consensusReplicates: '--consensus-replicates',
  sampleFolds: '--sample-folds',
  densityThreshold: '--density-threshold',
  neighbours: '--neighbours',
};

/** What a settings schema refused, in the shape zod reports it (an issue per field). */
export interface SettingsIssue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  minimum?: unknown;
  maximum?: unknown;
}

/**
 * A UsageError naming the flag behind each refused setting (`--max-iter must be at most 1000000`),
 * for settings checked by their schema after the flags were read: the schema holds the bounds,
 * and a field the flags do not bound is still refused by name rather than as zod's JSON.
 */
export function settingsRefusal(issues: readonly SettingsIssue[]): UsageError {
  const parts = issues.map((issue) => {
    const key = String(issue.path[issue.path.length - 1] ?? '');
    const flag = SETTING_FLAGS[key] ?? issue.path.join('.');
    if (issue.code === 'too_big' && typeof issue.maximum !== 'undefined')
      return `${flag} must be at most ${String(issue.maximum)}`;
    if (issue.code === 'too_small' && typeof issue.minimum !== 'undefined')
      return `${flag} must be at least ${String(issue.minimum)}`;
    return `${flag}: ${issue.message}`;
  });
  return new UsageError(parts.join('; '));
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A number flag; `integer` refuses fractions; bounds are inclusive. */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  options: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value))
    throw new UsageError(`--${name} must be a number, got "${text}"`);
  if (options.integer && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  if (options.min !== undefined && value < options.min)
    throw new UsageError(`--${name} must be at least ${options.min}, got ${text}`);
  if (options.max !== undefined && value > options.max)
    throw new UsageError(`--${name} must be at most ${options.max}, got ${text}`);
  return value;
}

export function choiceFlag<T extends string>(
  values: Record<string, unknown>,
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${String(raw)}"`);
  return raw as T;
}

/** `2..8` → [2, 8]. */
export function parseRankRange(text: string): [number, number] {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--ranks must look like 2..8, got "${text}"`);
  const from = Number(match[1]);
  const to = Number(match[2]);
  if (from < 1 || to < from)
    throw new UsageError(`--ranks must go from at least 1 up to a larger or equal rank, got "${text}"`);
  return [from, to];
}

/** `action`'s result; a library row it does not find (`not_found`) is the command line's usage error. */
export function notFoundAsUsage<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
    throw error;
  }
}
