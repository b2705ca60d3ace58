import type { SealedSecret } from '../contracts/sealedSecret.js';
import type { Secret } from '../contracts/secret.js';

/** A stored secret: public metadata plus the sealed (encrypted) value. */
export interface SecretRecord {
  secret: Secret;
  sealed: SealedSecret;
}

/**
 * Secrets under workspaces/{ws}/secrets/{name}. Returns null for what does not
 * exist; `create` throws AlreadyExistsError; `update` and `delete` NotFoundError.
 * `list` reads metadata only, never a sealed value.
 */
export interface SecretStore {
  create(ws: string, record: SecretRecord): Promise<void>;
  get(ws: string, name: string): Promise<SecretRecord | null>;
  list(ws: string): Promise<Secret[]>;
  /**
   * Applies `patch` to the current metadata in a transaction; `patch` may
   * return a new sealed value (a rotation), which replaces the stored one.
   */
  update(
    ws: string,
    name: string,
    patch: (current: Secret) => { secret: Secret; sealed?: SealedSecret | undefined },
  ): Promise<Secret>;
  delete(ws: string, name: string): Promise<void>;
}
