/**
 * Typed errors with a stable code and the HTTP status they map to. Messages are
 * shown to API clients: they never contain key material, tokens or request bodies.
 */

export type ErrorStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

export const HTTP_STATUS: Record<ErrorStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export interface FieldViolation {
  field: string;
  issue: string;
}

export class PushrunError extends Error {
  readonly status: ErrorStatus;
  readonly details: FieldViolation[];
  constructor(
    status: ErrorStatus,
    message: string,
    opts: { details?: FieldViolation[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.details = opts.details ?? [];
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.status];
  }
}

export class InvalidArgumentError extends PushrunError {
  constructor(message: string, details: FieldViolation[] = [], cause?: unknown) {
    super('INVALID_ARGUMENT', message, { details, cause });
  }
}

export class FailedPreconditionError extends PushrunError {
  constructor(message: string, details: FieldViolation[] = []) {
    super('FAILED_PRECONDITION', message, { details });
  }
}

export class NotFoundError extends PushrunError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class AlreadyExistsError extends PushrunError {
  constructor(what: string) {
    super('ALREADY_EXISTS', `${what} already exists`);
  }
}

export class UnauthenticatedError extends PushrunError {
  constructor(message = 'missing or invalid credentials') {
    super('UNAUTHENTICATED', message);
  }
}

export class PermissionDeniedError extends PushrunError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

export class ConflictError extends PushrunError {
  constructor(message: string) {
    super('ABORTED', message);
  }
}

/** A failure that may succeed later (network, quota, contention). Queues retry these. */
export class RetryableError extends PushrunError {
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, opts: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super('UNAVAILABLE', message, { cause: opts.cause });
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** A failure that no retry can fix: the task is acknowledged and the run records why. */
export class NonRetriableError extends PushrunError {
  constructor(message: string, cause?: unknown) {
    super('FAILED_PRECONDITION', message, { cause });
  }
}

export class PayloadTooLargeError extends PushrunError {
  constructor(limitBytes: number) {
    super('OUT_OF_RANGE', `request body exceeds ${limitBytes} bytes`);
  }
  override get httpStatus(): number {
    return 413;
  }
}

/**
 * The customer project refused a launch or call in a way no retry fixes (a missing
 * permission, a bad image or spec, a disabled credential). The message is meant
 * for the customer: it names the permission or the field.
 */
export class LaunchRefusedError extends PushrunError {
  readonly reason:
    | 'PERMISSION_DENIED'
    | 'INVALID_ARGUMENT'
    | 'UNAUTHENTICATED'
    | 'FAILED_PRECONDITION'
    | 'NOT_FOUND';
  constructor(reason: LaunchRefusedError['reason'], message: string, cause?: unknown) {
    super('FAILED_PRECONDITION', message, { cause });
    this.reason = reason;
  }
}
