import type { Credential } from '../contracts/credential.js';
import type { SealedSecret } from '../contracts/sealedSecret.js';

/** A stored credential: public metadata plus, for keys, the sealed (encrypted) key. */
export interface CredentialRecord {
  credential: Credential;
  sealed?: SealedSecret | undefined;
}

/**
 * Credentials under workspaces/{ws}/credentials/{name}. Returns null for what
 * does not exist; `create` throws AlreadyExistsError; `delete` NotFoundError.
 */
export interface CredentialStore {
  create(ws: string, record: CredentialRecord): Promise<void>;
  get(ws: string, name: string): Promise<CredentialRecord | null>;
  list(ws: string): Promise<Credential[]>;
  update(ws: string, name: string, patch: (current: Credential) => Credential): Promise<Credential>;
  delete(ws: string, name: string): Promise<void>;
}
