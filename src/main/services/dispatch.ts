import { tmpdir } from 'node:os';
import { ZodError } from 'zod';
import {
  isChannel,
  requestSchemas,
  ServiceError,
  type ApiError,
  type Channel,
  type ParsedRequestOf,
  type ResponseOf,
  type Result,
} from '../../shared/api';
import { FitSettingsError } from '../../shared/nmf/types';

/** One handler per channel; both transports call `dispatch`, so no handler is written twice. */
export type Handlers = {
  [C in Channel]: (request: ParsedRequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>;
};

/** Turns a ZodError into one readable line naming the field. */
export function describeValidationError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'request'}: ${issue.message}`)
    .join('; ');
}

/** Maps anything a handler throws onto an ApiError; unexpected errors keep their message but not their stack. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ServiceError) {
    const api: ApiError = error.location
      ? { code: error.code, message: error.message, location: error.location }
      : { code: error.code, message: error.message };
    if (error.problems !== undefined) {
      api.problems = error.problems.list;
      api.problemCount = error.problems.count;
    }
    return api;
  }
  if (error instanceof ZodError) return { code: 'invalid_request', message: describeValidationError(error) };
  if (error instanceof FitSettingsError) return { code: 'bad_input', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: withoutTemporaryPaths(message) };
}

/**
 * An unexpected error's message with paths under the temporary folder replaced: they name staging
 * files, which mean nothing to the user and tell a web page about the machine.
 */
export function withoutTemporaryPaths(message: string, temp = tmpdir()): string {
  const escaped = temp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message.replace(new RegExp(`${escaped}[\\\\/][^\\s'"]*`, 'g'), '(a temporary file)');
}

/**
 * Validates `payload` against the channel's schema and runs its handler. Never throws: every
 * outcome is a Result. Unknown channels and invalid payloads are refused before any handler runs.
 */
export async function dispatch(
  handlers: Handlers,
  channel: string,
  payload: unknown,
): Promise<Result<unknown>> {
  if (!isChannel(channel))
    return {
      ok: false,
      error: { code: 'invalid_request', message: `unknown channel ${JSON.stringify(channel)}` },
    };
  const parsed = requestSchemas[channel].safeParse(payload ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_request', message: `${channel}: ${describeValidationError(parsed.error)}` },
    };
  }
  try {
    const handler = handlers[channel] as (request: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: toApiError(error) };
  }
}
