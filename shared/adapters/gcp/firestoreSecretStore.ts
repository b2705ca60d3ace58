import type { Firestore } from '@google-cloud/firestore';
import type { SealedSecret } from '../../contracts/sealedSecret.js';
import { Secret } from '../../contracts/secret.js';
import { FailedPreconditionError } from '../../domain/errors.js';
import type { SecretRecord, SecretStore } from '../../ports/secretStore.js';
import { FirestoreSealedStore } from './firestoreSealedStore.js';

/** Secrets: metadata beside the sealed value. */
export class FirestoreSecretStore implements SecretStore {
  private readonly store: FirestoreSealedStore<Secret>;
  constructor(opts: { firestore: Firestore }) {
    this.store = new FirestoreSealedStore({
      firestore: opts.firestore,
      collection: 'secrets',
      metaKey: 'secret',
      meta: Secret,
      noun: 'secret',
    });
  }

  create(ws: string, record: SecretRecord): Promise<void> {
    return this.store.create(ws, record.secret, record.sealed);
  }
  async get(ws: string, name: string): Promise<SecretRecord | null> {
    const found = await this.store.get(ws, name);
    if (!found) return null;
    if (!found.sealed) throw new FailedPreconditionError(`secret ${name} has no stored value`);
    return { secret: found.meta, sealed: found.sealed };
  }
  list(ws: string): Promise<Secret[]> {
    return this.store.list(ws);
  }
  update(
    ws: string,
    name: string,
    patch: (current: Secret) => { secret: Secret; sealed?: SealedSecret | undefined },
  ): Promise<Secret> {
    return this.store.update(ws, name, (current) => {
      const next = patch(current);
      return { meta: next.secret, sealed: next.sealed };
    });
  }
  delete(ws: string, name: string): Promise<void> {
    return this.store.delete(ws, name);
  }
}
