import type { DocumentData } from '@google-cloud/firestore';
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
