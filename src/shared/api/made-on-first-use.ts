/**
 * A record whose values `make` builds at the first read of any of its `keys`, and which keeps
 * them from then on. The keys exist from the start (`in`, `hasOwnProperty`, `Object.keys` see
 * them without building anything). Used for the API contract's request schemas: zod builds a
 * schema's whole object graph when it is declared, ~50 ms for all of the contract's, which a
 * process that never dispatches a request (the command line) should not pay at start-up.
 */
export function madeOnFirstUse<K extends string, T extends { [key in K]: unknown }>(
  keys: readonly K[],
  make: () => T,
): T {
  let made: T | null = null;
  const record = {} as T;
  for (const key of keys) {
    Object.defineProperty(record, key, {
      enumerable: true,
      get: () => (made ??= make())[key],
    });
  }
  return record;
}
