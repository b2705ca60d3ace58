import { Firestore } from '@google-cloud/firestore';

/**
 * The Firestore client. FIRESTORE_EMULATOR_HOST, when set, points it at the
 * emulator (the SDK reads it itself); the project id selects the database.
 */
export function createFirestore(opts: { projectId: string }): Firestore {
  return new Firestore({ projectId: opts.projectId, ignoreUndefinedProperties: true });
}
