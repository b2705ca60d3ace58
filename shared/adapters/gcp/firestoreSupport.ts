import type { DocumentData, DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import type { z } from 'zod';
import { AlreadyExistsError, NotFoundError } from '../../domain/errors.js';
import { translateFirestoreError } from './firestoreErrors.js';

/** Firestore refuses `undefined`; dropping it lets documents round-trip through zod. */
export function clean<T extends object>(value: T): DocumentData {
  return JSON.parse(JSON.stringify(value)) as DocumentData;
}

/** Runs a Firestore operation, translating SDK errors into domain errors. */
export async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw translateFirestoreError(err);
  }
}

function grpcCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err
    ? (err as { code: unknown }).code
    : undefined;
}

export function isAlreadyExists(err: unknown): boolean {
  return grpcCode(err) === 6;
}

export function isNotFound(err: unknown): boolean {
  return grpcCode(err) === 5;
}

/**
 * A Firestore transaction retried on contention. The SDK retries ABORTED by
 * itself, but a transaction that waited out its lock (the emulator answers
 * INVALID_ARGUMENT "Transaction is invalid or closed"; production can answer
 * ABORTED past the SDK's own attempts) is contention too, not bad input: it is
 * run again from the start, a few times, with jitter.
 */
export async function runTransaction<T>(
  db: Firestore,
  fn: (tx: Transaction) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.runTransaction(fn);
    } catch (err) {
      if (attempt >= attempts || !isContention(err)) throw err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

export function isContention(err: unknown): boolean {
  const code = grpcCode(err);
  if (code === 10) return true;
  const message = err instanceof Error ? err.message : '';
  return code === 3 && /transaction (is invalid or closed|has expired)/i.test(message);
}

/** Creates a document; AlreadyExistsError names `what` when it exists. */
export function createDoc(ref: DocumentReference, value: object, what: string): Promise<void> {
  return guard(async () => {
    try {
      await ref.create(clean(value));
    } catch (err) {
      if (isAlreadyExists(err)) throw new AlreadyExistsError(what);
      throw err;
    }
  });
}

/** Reads a document through its schema; null when it does not exist. */
export function getDoc<T>(ref: DocumentReference, schema: z.ZodType<T>): Promise<T | null> {
  return guard(async () => {
    const snap = await ref.get();
    return snap.exists ? schema.parse(snap.data()) : null;
  });
}

/** Deletes a document; NotFoundError names `what` when it does not exist. */
export function deleteDoc(ref: DocumentReference, what: string): Promise<void> {
  return guard(async () => {
    try {
      await ref.delete({ exists: true });
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(what);
      throw err;
    }
  });
}

/** Read-modify-write of one document in a transaction; NotFoundError names `what`. */
export function updateDoc<T extends object>(
  db: Firestore,
  ref: DocumentReference,
  schema: z.ZodType<T>,
  patch: (current: T) => T,
  what: string,
): Promise<T> {
  return guard(() =>
    runTransaction(db, async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) throw new NotFoundError(what);
      const next = patch(schema.parse(snap.data()));
      tx.set(ref, clean(next));
      return next;
    }),
  );
}
