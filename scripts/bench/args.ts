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
