/**
 * The shapes @grpc/proto-loader gives and takes for google.cloud.kms.v1 (camelCase,
 * enums as names, int64 as numbers, absent fields undefined). Only the fields the
 * emulator reads or writes are typed.
 */

export interface Timestamp {
  seconds?: number;
  nanos?: number;
}
export type Duration = Timestamp;

export interface Int64Value {
  value?: number;
}

export type VersionState =
  | 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED'
  | 'PENDING_GENERATION'
  | 'ENABLED'
  | 'DISABLED'
  | 'DESTROYED'
  | 'DESTROY_SCHEDULED';

export interface CryptoKeyVersionMessage {
  name?: string;
  state?: VersionState;
  protectionLevel?: string;
  algorithm?: string;
  createTime?: Timestamp;
  generateTime?: Timestamp;
  destroyTime?: Timestamp;
  destroyEventTime?: Timestamp;
}

export interface CryptoKeyMessage {
  name?: string;
  primary?: CryptoKeyVersionMessage | null;
  purpose?: string;
  createTime?: Timestamp;
  nextRotationTime?: Timestamp | null;
  rotationPeriod?: Duration | null;
  versionTemplate?: { protectionLevel?: string; algorithm?: string } | null;
  labels?: Record<string, string>;
  importOnly?: boolean;
  destroyScheduledDuration?: Duration | null;
}

export interface KeyRingMessage {
  name?: string;
  createTime?: Timestamp;
}

export interface ListRequest {
  parent?: string;
  pageSize?: number;
  pageToken?: string;
  filter?: string;
  orderBy?: string;
}

export interface NameRequest {
  name?: string;
}

export interface CreateKeyRingRequest {
  parent?: string;
  keyRingId?: string;
  keyRing?: KeyRingMessage | null;
}

export interface CreateCryptoKeyRequest {
  parent?: string;
  cryptoKeyId?: string;
  cryptoKey?: CryptoKeyMessage | null;
  skipInitialVersionCreation?: boolean;
}

export interface CreateCryptoKeyVersionRequest {
  parent?: string;
  cryptoKeyVersion?: CryptoKeyVersionMessage | null;
}

export interface UpdateCryptoKeyRequest {
  cryptoKey?: CryptoKeyMessage | null;
  updateMask?: { paths?: string[] } | null;
}

export interface UpdateCryptoKeyVersionRequest {
  cryptoKeyVersion?: CryptoKeyVersionMessage | null;
  updateMask?: { paths?: string[] } | null;
}

export interface UpdateCryptoKeyPrimaryVersionRequest {
  name?: string;
  cryptoKeyVersionId?: string;
}

export interface EncryptRequest {
  name?: string;
  plaintext?: Buffer;
  additionalAuthenticatedData?: Buffer;
  plaintextCrc32c?: Int64Value | null;
  additionalAuthenticatedDataCrc32c?: Int64Value | null;
}

export interface EncryptResponse {
  name: string;
  ciphertext: Buffer;
  ciphertextCrc32c: Int64Value;
  verifiedPlaintextCrc32c: boolean;
  verifiedAdditionalAuthenticatedDataCrc32c: boolean;
  protectionLevel: string;
}

export interface DecryptRequest {
  name?: string;
  ciphertext?: Buffer;
  additionalAuthenticatedData?: Buffer;
  ciphertextCrc32c?: Int64Value | null;
  additionalAuthenticatedDataCrc32c?: Int64Value | null;
}

export interface DecryptResponse {
  plaintext: Buffer;
  plaintextCrc32c: Int64Value;
  usedPrimary: boolean;
  protectionLevel: string;
}

export function toMillis(value: Timestamp | null | undefined): number | undefined {
  if (!value) return undefined;
  return (value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

export function toTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round(ms - seconds * 1000) * 1e6 };
}
