import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { SealedSecret } from '../../contracts/sealedSecret.js';
import { Secret } from '../../contracts/secret.js';
import { AlreadyExistsError, NotFoundError } from '../../domain/errors.js';
import type { SecretRecord, SecretStore } from '../../ports/secretStore.js';
import { translateFirestoreError } from './firestoreErrors.js';
import { isAlreadyExists, isNotFound } from './firestoreWorkspaceStore.js';

const SecretDoc = z.object({ secret: Secret, sealed: SealedSecret });

function clean<T extends object>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw translateFirestoreError(err);
  }
}

export class FirestoreSecretStore implements SecretStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private col(ws: string) {
    return this.db.collection('workspaces').doc(ws).collection('secrets');
  }

  create(ws: string, record: SecretRecord): Promise<void> {
    return guard(async () => {
      try {
        await this.col(ws).doc(record.secret.name).create(clean(record));
      } catch (err) {
        if (isAlreadyExists(err)) throw new AlreadyExistsError(`secret ${record.secret.name}`);
        throw err;
      }
    });
  }

  get(ws: string, name: string): Promise<SecretRecord | null> {
    return guard(async () => {
      const snap = await this.col(ws).doc(name).get();
      return snap.exists ? SecretDoc.parse(snap.data()) : null;
    });
  }

  list(ws: string): Promise<Secret[]> {
    return guard(async () => {
      // The sealed half never leaves Firestore for a listing.
      const snap = await this.col(ws).select('secret').orderBy('__name__').limit(1000).get();
      return snap.docs.map((d) => Secret.parse(d.get('secret')));
    });
  }

  update(
    ws: string,
    name: string,
    patch: (current: Secret) => { secret: Secret; sealed?: SealedSecret | undefined },
  ): Promise<Secret> {
    const ref = this.col(ws).doc(name);
    return guard(() =>
      this.db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`secret ${name}`);
        const next = patch(SecretDoc.parse(snap.data()).secret);
        tx.update(ref, {
          secret: clean(next.secret),
          ...(next.sealed === undefined ? {} : { sealed: clean(next.sealed) }),
        });
        return next.secret;
      }),
    );
  }

  delete(ws: string, name: string): Promise<void> {
    return guard(async () => {
      try {
        await this.col(ws).doc(name).delete({ exists: true });
      } catch (err) {
        if (isNotFound(err)) throw new NotFoundError(`secret ${name}`);
        throw err;
      }
    });
  }
}
