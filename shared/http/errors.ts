import { ZodError } from 'zod';
import { type FieldViolation, HTTP_STATUS, PushrunError } from '../domain/errors.js';
import type { Logger } from '../logging.js';
import type { HttpResponse } from './types.js';

export function zodDetails(err: ZodError, prefix = ''): FieldViolation[] {
  const join = (...parts: string[]) => parts.filter((s) => s !== '').join('.') || '(body)';
  return err.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    // Name each unknown field itself, not the object that contains it.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: join(prefix, path, key), issue: 'unknown field' }));
    }
    return [{ field: join(prefix, path), issue: issue.message }];
  });
}

/** Maps any thrown value to the one AIP-193 error shape; unexpected errors become a plain 500. */
export function toHttpError(err: unknown, logger?: Logger): HttpResponse {
  if (err instanceof ZodError) {
    const details = zodDetails(err);
    return errorResponse(
      400,
      'INVALID_ARGUMENT',
      `invalid request: ${details.map((d) => d.field).join(', ')}`,
      details,
    );
  }
  if (err instanceof PushrunError) {
    const headers: Record<string, string> = {};
    if ('retryAfterSeconds' in err && typeof err.retryAfterSeconds === 'number') {
      headers['retry-after'] = String(err.retryAfterSeconds);
    }
    return { ...errorResponse(err.httpStatus, err.status, err.message, err.details), headers };
  }
  logger?.error('unexpected error', { error: err });
  return errorResponse(HTTP_STATUS.INTERNAL, 'INTERNAL', 'internal error', []);
}

export function errorResponse(
  code: number,
  status: string,
  message: string,
  details: FieldViolation[],
): HttpResponse {
  return { status: code, body: { error: { code, status, message, details } } };
}
