import type { ApiError, Channel, RequestOf, ResponseOf, Result } from '../../../shared/api';
import { createClient } from './transport';

/** The one client of this window (IPC in Electron, HTTP in a browser). */
export const api = createClient();

export function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
  return api.call(channel, request).catch((error: unknown): Result<ResponseOf<C>> => ({
    ok: false,
    error: { code: 'internal', message: error instanceof Error ? error.message : String(error) },
  }));
}

/** "file, line 3, column 7: value “x”" — where a bad input is, as one line. */
export function describeLocation(error: ApiError): string | null {
  const where = error.location;
  if (!where) return null;
  const parts: string[] = [];
  if (where.file) parts.push(where.file);
  if (where.path) parts.push(where.path);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.column !== undefined) parts.push(`column ${where.column}`);
  if (where.value !== undefined) parts.push(`value “${where.value}”`);
  return parts.length ? parts.join(', ') : null;
}
