import type { Firestore } from '@google-cloud/firestore';
import { Credential } from '../../contracts/credential.js';
import type { CredentialRecord, CredentialStore } from '../../ports/credentialStore.js';
import { FirestoreSealedStore } from './firestoreSealedStore.js';

/** Credentials: metadata beside the sealed key (absent for keyless impersonation). */
export class FirestoreCredentialStore implements CredentialStore {
  private readonly store: FirestoreSealedStore<Credential>;
  constructor(opts: { firestore: Firestore }) {
    this.store = new FirestoreSealedStore({
      firestore: opts.firestore,
      collection: 'credentials',
      metaKey: 'credential',
      meta: Credential,
      noun: 'credential',
    });
  }

  create(ws: string, record: CredentialRecord): Promise<void> {
    return this.store.create(ws, record.credential, record.sealed);
  }
  async get(ws: string, name: string): Promise<CredentialRecord | null> {
    const found = await this.store.get(ws, name);
    return found ? { credential: found.meta, sealed: found.sealed } : null;
  }
  list(ws: string): Promise<Credential[]> {
    return this.store.list(ws);
  }
  update(ws: string, name: string, patch: (current: Credential) => Credential): Promise<Credential> {
    return this.store.update(ws, name, (current) => ({ meta: patch(current) }));
  }
  delete(ws: string, name: string): Promise<void> {
    return this.store.delete(ws, name);
  }
}
