import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad arguments or bad input: exit status 2 with one line on stderr (CLI.md). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking, turning its errors into UsageErrors that name the flag. */
export function parse(
  args: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
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
