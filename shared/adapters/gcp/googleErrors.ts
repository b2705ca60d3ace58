/**
 * Reading and translating errors of Google clients that call a *customer's* project
 * (Cloud Run Admin, Resource Manager, IAM Credentials, IAM admin).
 *
 * Two shapes reach us (emulators/README.md, "Errors"):
 * - google-gax 6 (`JobsClient`, `ExecutionsClient`): a GoogleError whose `code` is the
 *   gRPC code and whose `statusDetails` holds the decoded `BadRequest`/`ErrorInfo`.
 * - google-gax 5 (`ProjectsClient`, `IAMCredentialsClient`) and a bare
 *   `AuthClient.request()`: the raw GaxiosError, whose `code`/`status` is the HTTP status
 *   (or a Node network code) and whose message is Google's JSON body
 *   `{"error": {"code": 403, "status": "PERMISSION_DENIED", "message": …}}`.
 */
import { LaunchRefusedError, NotFoundError, PushrunError, RetryableError } from '../../domain/errors.js';

/** google.rpc.Code by number. */
const GRPC_STATUS: Record<number, string> = {
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

/** When a GaxiosError has no JSON body, its HTTP status is all we know (Google's REST mapping). */
const HTTP_TO_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Node/undici codes of a connection that failed or broke: Google was not reached (or did not answer). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** What Google answered, in canonical terms. */
export interface GoogleStatus {
  /** Canonical status name (`PERMISSION_DENIED`, …), or `NETWORK` when no answer came. */
  status: string;
  /** Google's own message (it names the permission, the field, the key state). */
  message: string;
  /** Field violations of a `BadRequest` detail, when Google sent one. */
  fieldViolations: { field: string; description: string }[];
  /** `RetryInfo.retryDelay` in seconds, when Google sent one. */
  retryAfterSeconds?: number;
}

/** The canonical status of an error thrown by a Google client; undefined for anything else (a bug of ours). */
export function googleStatusOf(err: unknown): GoogleStatus | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    code?: unknown;
    message?: unknown;
    statusDetails?: unknown;
    cause?: unknown;
    response?: { status?: unknown; data?: unknown };
  };
  const message = typeof e.message === 'string' ? e.message : '';
  const response = typeof e.response === 'object' && e.response !== null ? e.response : undefined;

  // gaxios 7 (a bare AuthClient.request()): Google's body is the response data.
  if (response) {
    const data = response.data;
    const body =
      typeof data === 'string'
        ? parseJsonBody(data)
        : typeof data === 'object' && data
          ? bodyOf(data)
          : undefined;
    if (body) return body;
  }
  // google-gax 5's REST transport: Google's body is the message.
  const body = parseJsonBody(message);
  if (body) return body;

  const causeCode =
    typeof e.cause === 'object' && e.cause !== null ? (e.cause as { code?: unknown }).code : undefined;
  if (
    (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
    (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode))
  ) {
    return { status: 'NETWORK', message: networkMessage(message), fieldViolations: [] };
  }
  // An HTTP answer without Google's JSON body (a proxy's HTML page, say): its HTTP status.
  if (response && typeof response.status === 'number') {
    const http = response.status;
    return {
      status: HTTP_TO_STATUS[http] ?? (http >= 500 ? 'UNAVAILABLE' : 'UNKNOWN'),
      message: `HTTP ${http}`,
      fieldViolations: [],
    };
  }
  // google-gax 6: a GoogleError with the gRPC code and decoded details.
  const status = typeof e.code === 'number' ? GRPC_STATUS[e.code] : undefined;
  if (status) return { status, message, ...detailsOf(e.statusDetails) };
  return undefined;
}

function parseJsonBody(text: string): GoogleStatus | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return bodyOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** `{"error": {"code", "status", "message", "details"}}` (AIP-193) → GoogleStatus. */
function bodyOf(parsed: unknown): GoogleStatus | undefined {
  const error = (parsed as { error?: { status?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  const status = error?.status;
  if (typeof status !== 'string') return undefined;
  return {
    status,
    message: typeof error?.message === 'string' ? error.message : status,
    ...detailsOf(error?.details),
  };
}

function detailsOf(details: unknown): Pick<GoogleStatus, 'fieldViolations' | 'retryAfterSeconds'> {
  const out: Pick<GoogleStatus, 'fieldViolations' | 'retryAfterSeconds'> = { fieldViolations: [] };
  if (!Array.isArray(details)) return out;
  for (const d of details as Record<string, unknown>[]) {
    if (Array.isArray(d?.fieldViolations)) {
      for (const v of d.fieldViolations as { field?: unknown; description?: unknown }[]) {
        out.fieldViolations.push({ field: String(v.field ?? ''), description: String(v.description ?? '') });
      }
    }
    const delay = d?.retryDelay;
    const seconds =
      typeof delay === 'string'
        ? Number.parseFloat(delay)
        : typeof delay === 'object' && delay !== null
          ? Number((delay as { seconds?: unknown }).seconds)
          : Number.NaN;
    if (Number.isFinite(seconds) && seconds > 0) out.retryAfterSeconds = Math.ceil(seconds);
  }
  return out;
}

/** The request URL in a network error message carries no secret, but it is noise for a customer. */
function networkMessage(message: string): string {
  const reason = /reason: (.+)$/.exec(message)?.[1];
  return reason ?? (message || 'connection failed');
}

const RETRYABLE = new Set([
  'NETWORK',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'UNKNOWN',
  'ABORTED',
  'CANCELLED',
]);

/** Quota windows of the Cloud Run Admin API are per minute: retrying sooner only burns attempts. */
const QUOTA_RETRY_AFTER_S = 30;

/**
 * Translates a customer-project call's error into the domain errors the ports promise:
 * RetryableError for what may pass (network, UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, INTERNAL, …), LaunchRefusedError for what only the customer can
 * fix (PERMISSION_DENIED, INVALID_ARGUMENT, UNAUTHENTICATED, FAILED_PRECONDITION),
 * NotFoundError for a missing resource. `what` says which call, for the message
 * (e.g. "create job j in projects/p/locations/r"). Errors that are not Google's pass
 * through unchanged: they are bugs, not outages.
 */
export function translateCustomerCallError(err: unknown, what: string): Error {
  // Already translated, e.g. an impersonation refusal raised while the SDK asked for a token.
  if (err instanceof PushrunError) return err;
  const google = googleStatusOf(err);
  if (!google) return err instanceof Error ? err : new Error(String(err));
  const { status, message } = google;
  if (RETRYABLE.has(status)) {
    const retryAfterSeconds =
      google.retryAfterSeconds ?? (status === 'RESOURCE_EXHAUSTED' ? QUOTA_RETRY_AFTER_S : undefined);
    return new RetryableError(`${what}: Google Cloud answered ${status}: ${message}`, {
      cause: err,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  switch (status) {
    case 'PERMISSION_DENIED':
      return new LaunchRefusedError('PERMISSION_DENIED', `${what}: ${message}`, err);
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE': {
      const fields = google.fieldViolations.map((v) => v.field).filter((f) => f.length > 0);
      const named = fields.length > 0 && !fields.every((f) => message.includes(f));
      return new LaunchRefusedError(
        'INVALID_ARGUMENT',
        `${what}: ${message}${named ? ` (fields: ${fields.join(', ')})` : ''}`,
        err,
      );
    }
    case 'UNAUTHENTICATED':
      return new LaunchRefusedError(
        'UNAUTHENTICATED',
        `${what}: the credential was refused (a disabled, deleted or expired key, or an identity that no longer exists): ${message}`,
        err,
      );
    case 'FAILED_PRECONDITION':
      return new LaunchRefusedError('FAILED_PRECONDITION', `${what}: ${message}`, err);
    case 'NOT_FOUND':
      return withCause(new NotFoundError(what), err);
    default:
      // ALREADY_EXISTS and UNIMPLEMENTED are handled (or impossible) at the call sites.
      return new LaunchRefusedError(
        'FAILED_PRECONDITION',
        `${what}: Google Cloud answered ${status}: ${message}`,
        err,
      );
  }
}

function withCause<E extends PushrunError>(e: E, cause: unknown): E {
  Object.defineProperty(e, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return e;
}
