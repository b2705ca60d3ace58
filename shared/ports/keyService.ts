/**
 * Per-workspace key encryption keys (Cloud KMS in production). Used only to
 * wrap and unwrap the random data keys of envelope encryption; values
 * themselves never reach KMS.
 *
 * Errors: RetryableError when KMS is unreachable or throttling; NotFoundError when
 * the workspace has no key; InvalidArgumentError when a wrapped key does not
 * unwrap (wrong AAD, another workspace's key, destroyed version).
 */
export interface KeyService {
  /** Creates the workspace's crypto key if it does not exist yet. Idempotent. Returns its resource name. */
  ensureWorkspaceKey(workspace: string): Promise<string>;
  /** Encrypts `plaintext` (≤ 64 KiB) under the workspace key's primary version, bound to `aad`. */
  wrap(workspace: string, plaintext: Buffer, aad: Buffer): Promise<{ wrapped: Buffer; keyVersion: string }>;
  /** Decrypts what `wrap` produced with the same `aad`, whatever version wrapped it (rotation keeps old data readable). */
  unwrap(workspace: string, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Makes a new primary version; later wraps use it, earlier ones still unwrap. Returns the new version name. */
  rotateWorkspaceKey(workspace: string): Promise<string>;
  /** Destroys every version (crypto-shredding): nothing wrapped under the workspace key unwraps again. */
  destroyWorkspaceKey(workspace: string): Promise<void>;
}
