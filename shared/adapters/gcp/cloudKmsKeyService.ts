import { createHash } from 'node:crypto';
import { crc32c } from '@aws-crypto/crc32c';
import type { KeyManagementServiceClient, protos } from '@google-cloud/kms';
import { type CallOptions, createMaxRetriesBackoffSettings, createRetryOptions } from 'google-gax';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PushrunError,
  RetryableError,
} from '../../domain/errors.js';
import type { KeyService } from '../../ports/keyService.js';

export interface CloudKmsKeyServiceOptions {
  client: KeyManagementServiceClient;
  projectId: string;
  location: string;
  /** Key ring id holding one crypto key per workspace (Terraform creates it in production). */
  keyRing: string;
}

type CryptoKeyVersion = protos.google.cloud.kms.v1.ICryptoKeyVersion;
type Int64Value = protos.google.protobuf.IInt64Value | null | undefined;

/** KMS refuses larger plaintexts and AAD. */
const MAX_KMS_INPUT_BYTES = 64 * 1024;
/** KMS crypto key ids: `[a-zA-Z0-9_-]{1,63}`. */
const KMS_ID_MAX = 63;
const KMS_ID_CHARS = /^[a-zA-Z0-9_-]+$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

// gRPC status codes (google.rpc.Code).
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const RETRYABLE_CODES = new Set([4, 8, 10, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE

/**
 * The crypto key id of a workspace: `ws-{workspace}`. Names that would not fit
 * (workspace slugs may be 63 characters) or hold other characters become
 * `ws-{prefix}-{hash}`, always exactly 63 characters long, while the plain form
 * is at most 62: one workspace cannot pick a name that lands on another's key.
 */
export function workspaceKeyId(workspace: string): string {
  if (workspace.length === 0) throw new InvalidArgumentError('a workspace is required');
  const plain = `ws-${workspace}`;
  if (plain.length < KMS_ID_MAX && KMS_ID_CHARS.test(workspace)) return plain;
  const hash = createHash('sha256').update(workspace).digest('hex').slice(0, 16);
  const prefix = workspace
    .replace(/[^a-zA-Z0-9_-]/g, '_')
    .slice(0, KMS_ID_MAX - 'ws-'.length - 1 - hash.length);
  return `ws-${prefix.padEnd(KMS_ID_MAX - 'ws-'.length - 1 - hash.length, '_')}-${hash}`;
}

/**
 * KeyService over Cloud KMS: one ENCRYPT_DECRYPT key per workspace in one key
 * ring. Every Encrypt/Decrypt carries CRC32C checksums both ways (Google's
 * recommended integrity check): a mismatch means the bytes changed on the wire,
 * which a retry cures, so it is a RetryableError.
 *
 * The client library retries UNAVAILABLE/DEADLINE_EXCEEDED on most calls for up
 * to 10 minutes; the adapter bounds that to two quick retries so an outage
 * reaches the caller (and its task queue's backoff) in well under a second.
 */
export class CloudKmsKeyService implements KeyService {
  // Three attempts, 100 ms then 200 ms apart (gax's `maxRetries` counts attempts).
  private readonly retrying: CallOptions = {
    retry: createRetryOptions([4, 14], createMaxRetriesBackoffSettings(100, 2, 1000, 10_000, 1, 10_000, 3)),
  };
  // CreateCryptoKeyVersion is not idempotent: a retry after a lost answer would add a second version.
  private readonly once: CallOptions = { retry: null };

  constructor(private readonly opts: CloudKmsKeyServiceOptions) {}

  private keyRingName(): string {
    return this.opts.client.keyRingPath(this.opts.projectId, this.opts.location, this.opts.keyRing);
  }

  private keyName(workspace: string): string {
    return `${this.keyRingName()}/cryptoKeys/${workspaceKeyId(workspace)}`;
  }

  async ensureWorkspaceKey(workspace: string): Promise<string> {
    const name = this.keyName(workspace);
    try {
      const created = await this.createKey(workspace);
      if (created) return name;
      // The key exists (a retry, or a workspace slug reused after deletion). A reused
      // slug finds its versions destroyed: give the key a fresh primary so the new
      // workspace can encrypt, while the old data stays shredded.
      const [key] = await this.opts.client.getCryptoKey({ name }, this.retrying);
      if (!isEnabled(key.primary?.state)) await this.rotateWorkspaceKey(workspace);
      return name;
    } catch (err) {
      throw translateKmsError(err, 'ensure workspace key', workspace);
    }
  }

  /** Creates the key (and the key ring when missing). Resolves false when the key already existed. */
  private async createKey(workspace: string): Promise<boolean> {
    const request: protos.google.cloud.kms.v1.ICreateCryptoKeyRequest = {
      parent: this.keyRingName(),
      cryptoKeyId: workspaceKeyId(workspace),
      cryptoKey: {
        purpose: 'ENCRYPT_DECRYPT',
        versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protectionLevel: 'SOFTWARE' },
        ...(LABEL_VALUE.test(workspace) ? { labels: { 'pushrun-workspace': workspace } } : {}),
      },
    };
    try {
      await this.opts.client.createCryptoKey(request, this.retrying);
      return true;
    } catch (err) {
      const code = codeOf(err);
      if (code === ALREADY_EXISTS) return false;
      if (code !== NOT_FOUND) throw err;
    }
    // NOT_FOUND: the key ring is missing. Terraform makes it in production; locally we do.
    const at = this.opts.client.locationPath(this.opts.projectId, this.opts.location);
    try {
      await this.opts.client.createKeyRing(
        { parent: at, keyRingId: this.opts.keyRing, keyRing: {} },
        this.retrying,
      );
    } catch (err) {
      if (codeOf(err) !== ALREADY_EXISTS) throw err;
    }
    try {
      await this.opts.client.createCryptoKey(request, this.retrying);
      return true;
    } catch (err) {
      if (codeOf(err) === ALREADY_EXISTS) return false;
      throw err;
    }
  }

  async wrap(
    workspace: string,
    plaintext: Buffer,
    aad: Buffer,
  ): Promise<{ wrapped: Buffer; keyVersion: string }> {
    checkSize(plaintext, 'plaintext');
    checkSize(aad, 'aad');
    let response: protos.google.cloud.kms.v1.IEncryptResponse;
    try {
      [response] = await this.opts.client.encrypt(
        {
          name: this.keyName(workspace),
          plaintext,
          plaintextCrc32c: { value: crc32c(plaintext) },
          additionalAuthenticatedData: aad,
          additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
        },
        this.retrying,
      );
    } catch (err) {
      throw translateKmsError(err, 'wrap', workspace);
    }
    const wrapped = toBuffer(response.ciphertext);
    if (
      response.verifiedPlaintextCrc32c !== true ||
      response.verifiedAdditionalAuthenticatedDataCrc32c !== true ||
      int64(response.ciphertextCrc32c) !== crc32c(wrapped)
    ) {
      throw corrupted('wrap');
    }
    if (!response.name)
      throw new PushrunError('INTERNAL', 'Cloud KMS Encrypt answered without a key version');
    return { wrapped, keyVersion: response.name };
  }

  async unwrap(workspace: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    let response: protos.google.cloud.kms.v1.IDecryptResponse;
    try {
      [response] = await this.opts.client.decrypt(
        {
          name: this.keyName(workspace),
          ciphertext: wrapped,
          ciphertextCrc32c: { value: crc32c(wrapped) },
          additionalAuthenticatedData: aad,
          additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
        },
        this.retrying,
      );
    } catch (err) {
      throw translateKmsError(err, 'unwrap', workspace);
    }
    const plaintext = toBuffer(response.plaintext);
    if (int64(response.plaintextCrc32c) !== crc32c(plaintext)) {
      plaintext.fill(0);
      throw corrupted('unwrap');
    }
    return plaintext;
  }

  /**
   * Note: on Google's service a primary-version change is eventually consistent
   * (usually within a minute), so wraps just after a rotation may still use the
   * previous version. Both unwrap either way.
   */
  async rotateWorkspaceKey(workspace: string): Promise<string> {
    const name = this.keyName(workspace);
    try {
      const [version] = await this.opts.client.createCryptoKeyVersion(
        { parent: name, cryptoKeyVersion: {} },
        this.once,
      );
      const versionName = version.name ?? '';
      const versionId = versionName.slice(versionName.lastIndexOf('/') + 1);
      await this.opts.client.updateCryptoKeyPrimaryVersion(
        { name, cryptoKeyVersionId: versionId },
        this.retrying,
      );
      return versionName;
    } catch (err) {
      throw translateKmsError(err, 'rotate', workspace);
    }
  }

  async destroyWorkspaceKey(workspace: string): Promise<void> {
    let versions: CryptoKeyVersion[];
    try {
      [versions] = await this.opts.client.listCryptoKeyVersions(
        { parent: this.keyName(workspace) },
        this.retrying,
      );
    } catch (err) {
      if (codeOf(err) === NOT_FOUND) return; // never had a key: nothing to shred
      throw translateKmsError(err, 'destroy', workspace);
    }
    for (const version of versions) {
      if (isDestroyedOrScheduled(version.state) || !version.name) continue;
      try {
        await this.opts.client.destroyCryptoKeyVersion({ name: version.name }, this.retrying);
      } catch (err) {
        // FAILED_PRECONDITION: destroyed concurrently (e.g. a retried workspace deletion).
        if (codeOf(err) === FAILED_PRECONDITION) continue;
        throw translateKmsError(err, 'destroy', workspace);
      }
    }
  }
}

// The gRPC transport yields enum names; compare by name and by number so a REST client would work too.
const State = {
  ENABLED: 1,
  DESTROYED: 3,
  DESTROY_SCHEDULED: 4,
} as const;

function isEnabled(state: CryptoKeyVersion['state']): boolean {
  return state === 'ENABLED' || state === State.ENABLED;
}

function isDestroyedOrScheduled(state: CryptoKeyVersion['state']): boolean {
  return (
    state === 'DESTROYED' ||
    state === 'DESTROY_SCHEDULED' ||
    state === State.DESTROYED ||
    state === State.DESTROY_SCHEDULED
  );
}

function checkSize(data: Buffer, field: string): void {
  if (data.length > MAX_KMS_INPUT_BYTES) {
    throw new InvalidArgumentError(`${field} exceeds ${MAX_KMS_INPUT_BYTES} bytes`, [
      { field, issue: 'too large for Cloud KMS' },
    ]);
  }
}

function toBuffer(bytes: Uint8Array | string | null | undefined): Buffer {
  if (bytes === null || bytes === undefined) return Buffer.alloc(0);
  return typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : Buffer.from(bytes);
}

/** google.protobuf.Int64Value (Long, string or number by transport) as a number; CRC32C fits in 32 bits. */
function int64(value: Int64Value): number | undefined {
  const v = value?.value;
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(v.toString());
}

function corrupted(operation: string): RetryableError {
  return new RetryableError(`Cloud KMS ${operation}: data corrupted in transit (CRC32C mismatch)`);
}

function codeOf(err: unknown): number | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * KMS errors as domain errors, per the KeyService contract. Messages name the
 * operation and workspace, never data: KMS messages do not quote inputs, but the
 * domain message is what API clients may see, so it is written here.
 */
function translateKmsError(err: unknown, operation: string, workspace: string): Error {
  if (err instanceof PushrunError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : '';
  if (code !== undefined && RETRYABLE_CODES.has(code)) {
    return new RetryableError(`Cloud KMS is unavailable (${operation}, code ${code})`, { cause: err });
  }
  if (code === INVALID_ARGUMENT && /checksum/i.test(message)) {
    // KMS found our CRC32C did not match what it received: the request was altered in transit.
    return new RetryableError(`Cloud KMS ${operation}: data corrupted in transit (CRC32C mismatch)`, {
      cause: err,
    });
  }
  if (code === NOT_FOUND) return new NotFoundError(`the key of workspace ${workspace}`);
  if (operation === 'unwrap' && (code === INVALID_ARGUMENT || code === FAILED_PRECONDITION)) {
    // Wrong AAD, another key's ciphertext, altered bytes, or a disabled/destroyed version.
    return new InvalidArgumentError(`a wrapped key of workspace ${workspace} does not unwrap`, [], err);
  }
  if (code === INVALID_ARGUMENT) return new InvalidArgumentError(`Cloud KMS refused ${operation}`, [], err);
  if (code === FAILED_PRECONDITION) {
    return new FailedPreconditionError(`the key of workspace ${workspace} has no enabled primary version`);
  }
  return new PushrunError('INTERNAL', `Cloud KMS call failed (${operation}, code ${code ?? 'unknown'})`, {
    cause: err,
  });
}
