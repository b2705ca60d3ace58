import { ConflictError, PushrunError, RetryableError } from '../../domain/errors.js';

// gRPC codes Firestore reports for failures worth retrying.
const RETRYABLE = new Set([4, 8, 10, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE

/** Translates a Firestore SDK error into a domain error; domain errors pass through. */
export function translateFirestoreError(err: unknown): Error {
  if (err instanceof PushrunError) return err;
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  if (code === 6) return new ConflictError('the object was created concurrently');
  const contention =
    code === 3 && err instanceof Error && /transaction (is invalid or closed|has expired)/i.test(err.message);
  if ((typeof code === 'number' && RETRYABLE.has(code)) || contention) {
    return new RetryableError('the datastore is temporarily unavailable', { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
