import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { Credential } from '../../contracts/credential.js';
import { SealedSecret } from '../../contracts/sealedSecret.js';
import { AlreadyExistsError, NotFoundError } from '../../domain/errors.js';
import type { CredentialRecord, CredentialStore } from '../../ports/credentialStore.js';
import { translateFirestoreError } from './firestoreErrors.js';
import { isAlreadyExists, isNotFound } from './firestoreWorkspaceStore.js';

const CredentialDoc = z.object({ credential: Credential, sealed: SealedSecret.optional() });

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

export class FirestoreCredentialStore implements CredentialStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private col(ws: string) {
    return this.db.collection('workspaces').doc(ws).collection('credentials');
  }

  create(ws: string, record: CredentialRecord): Promise<void> {
    return guard(async () => {
      try {
        await this.col(ws).doc(record.credential.name).create(clean(record));
      } catch (err) {
        if (isAlreadyExists(err)) throw new AlreadyExistsError(`credential ${record.credential.name}`);
        throw err;
      }
    });
  }

  get(ws: string, name: string): Promise<CredentialRecord | null> {
    return guard(async () => {
      const snap = await this.col(ws).doc(name).get();
      return snap.exists ? CredentialDoc.parse(snap.data()) : null;
    });
  }

  list(ws: string): Promise<Credential[]> {
    return guard(async () => {
      // Only the public half is read back for listings.
      const snap = await this.col(ws).select('credential').orderBy('__name__').limit(1000).get();
      return snap.docs.map((d) => Credential.parse(d.get('credential')));
    });
  }

  update(ws: string, name: string, patch: (current: Credential) => Credential): Promise<Credential> {
    const ref = this.col(ws).doc(name);
    return guard(() =>
      this.db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`credential ${name}`);
        const next = patch(CredentialDoc.parse(snap.data()).credential);
        tx.update(ref, { credential: clean(next) });
        return next;
      }),
    );
  }

  delete(ws: string, name: string): Promise<void> {
    return guard(async () => {
      try {
        await this.col(ws).doc(name).delete({ exists: true });
      } catch (err) {
        if (isNotFound(err)) throw new NotFoundError(`credential ${name}`);
        throw err;
      }
    });
  }
}
