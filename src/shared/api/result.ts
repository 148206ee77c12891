/**
 * Every response that crosses the process boundary is a Result: Electron's `ipcMain.handle` loses
 * everything but the message of a thrown error, so errors travel as values (Signal Desktop's pattern).
 */

export type ErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'bad_input'
  | 'conflict'
  | 'cancelled'
  | 'unauthorized'
  | 'unavailable'
  | 'internal';

/**
 * Where a bad input is: file, 1-based line, row (matrix row of binary and Matrix Market files) and
 * column, the offending value, or a path inside a file.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  row?: number;
  column?: number;
  value?: string;
  path?: string;
  /** Name of the row / column from the file's names (`TP53`, `S2`), when it has them. */
  rowName?: string;
  columnName?: string;
}

/** One of several problems of a refused input: `line 7, column 3 (sample "S2"): "abc" is not a number`. */
export interface ApiProblem {
  message: string;
  location?: ErrorLocation;
}

export interface ApiError {
  code: ErrorCode;
  message: string;
  location?: ErrorLocation;
  /** Every problem found (the first few when there are many), when the input had several. */
  problems?: ApiProblem[];
  /** How many problems there were in all (more than `problems.length` when the list was cut). */
  problemCount?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string, location?: ErrorLocation): Result<T> {
  return location
    ? { ok: false, error: { code, message, location } }
    : { ok: false, error: { code, message } };
}

/** An error a service throws on purpose; the transport turns it into `fail(code, message)`. */
export class ServiceError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly location?: ErrorLocation,
    /** Several problems of one input (see ApiError.problems). */
    public readonly problems?: { list: ApiProblem[]; count: number },
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
