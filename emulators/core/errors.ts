import type { GrpcCode } from './types.js';

export const STATUS_NAMES: Record<number, string> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** The HTTP status Google's REST front end uses for each gRPC code. */
export const HTTP_STATUS: Record<number, number> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** An error an emulated API answers with: a google.rpc.Code and a message. */
export class ApiError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const invalidArgument = (message: string, field?: string): ApiError =>
  new ApiError(
    3,
    message,
    field
      ? [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field, description: message }],
          },
        ]
      : [],
  );

/** Google's JSON error body (AIP-193). */
export function errorBody(code: GrpcCode, message: string, details: unknown[] = []): Record<string, unknown> {
  return {
    error: { code: HTTP_STATUS[code] ?? 500, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', details },
  };
}
