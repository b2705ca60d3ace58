import { crc32c } from '@aws-crypto/crc32c';
import type { grpc } from 'google-gax';
import type { EmulatorContext, RunningService } from '../core/types.js';
// The gRPC plumbing (proto loading, fault/stats wrapper, paging) is shared with the Tasks emulator.
import { loadService } from '../tasks/protos.js';
import { Code, listen, paginate, RpcError, RpcKit } from '../tasks/rpc.js';
import {
  type CryptoKey,
  type KeyRing,
  KeyStore,
  type KeyVersion,
  MAX_CIPHERTEXT_BYTES,
  MAX_DATA_BYTES,
} from './keyStore.js';
import {
  type CreateCryptoKeyRequest,
  type CreateCryptoKeyVersionRequest,
  type CreateKeyRingRequest,
  type CryptoKeyMessage,
  type CryptoKeyVersionMessage,
  type DecryptRequest,
  type DecryptResponse,
  type EncryptRequest,
  type EncryptResponse,
  type Int64Value,
  type KeyRingMessage,
  type ListRequest,
  type NameRequest,
  toMillis,
  toTimestamp,
  type UpdateCryptoKeyPrimaryVersionRequest,
  type UpdateCryptoKeyRequest,
  type UpdateCryptoKeyVersionRequest,
} from './messages.js';

export interface KmsEmulatorOptions {
  /**
   * Delay between DestroyCryptoKeyVersion and the material being wiped (DESTROYED),
   * replacing each key's destroy_scheduled_duration (real default 30 days). The
   * version is unusable from the call on either way; 0 destroys at once.
   */
  destroyDelayMs?: number;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
}

const DAY_MS = 86_400_000;
const DEFAULT_DESTROY_SCHEDULED_MS = 30 * DAY_MS;
const ALGORITHM = 'GOOGLE_SYMMETRIC_ENCRYPTION';
const PROTECTION = 'SOFTWARE';

const LOCATION_RE = /^projects\/[^/]+\/locations\/[^/]+$/;
const ID_RE = /^[a-zA-Z0-9_-]{1,63}$/;
const KEY_RING_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[a-zA-Z0-9_-]{1,63}$/;
const CRYPTO_KEY_RE =
  /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[a-zA-Z0-9_-]{1,63}\/cryptoKeys\/[a-zA-Z0-9_-]{1,63}$/;
const VERSION_RE =
  /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[a-zA-Z0-9_-]{1,63}\/cryptoKeys\/[a-zA-Z0-9_-]{1,63}\/cryptoKeyVersions\/\d+$/;

function requireName(value: string | undefined, pattern: RegExp, what: string): string {
  if (!value || !pattern.test(value)) {
    throw new RpcError(Code.INVALID_ARGUMENT, `Resource name [${value ?? ''}] is not a valid ${what} name.`);
  }
  return value;
}

function requireId(value: string | undefined, field: string): string {
  if (!value || !ID_RE.test(value)) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${field} must match [a-zA-Z0-9_-]{1,63}.`);
  }
  return value;
}

/** Only `state=STATE` (or `!=`) is understood; other filters fail loudly rather than being ignored. */
function stateFilter(filter: string | undefined): ((state: string) => boolean) | undefined {
  if (!filter?.trim()) return undefined;
  const match = /^\s*state\s*(!=|=|:)\s*([A-Z_]+)\s*$/.exec(filter);
  if (!match) {
    throw new RpcError(Code.UNIMPLEMENTED, 'The emulator supports only filters of the form state=STATE.');
  }
  const [, op, value] = match;
  return op === '!=' ? (state) => state !== value : (state) => state === value;
}

function noFilter(filter: string | undefined): void {
  if (filter?.trim())
    throw new RpcError(Code.UNIMPLEMENTED, 'The emulator does not support filters on this list.');
}

function durationToMessage(ms: number) {
  return toTimestamp(ms);
}

function versionToMessage(version: KeyVersion): CryptoKeyVersionMessage {
  const message: CryptoKeyVersionMessage = {
    name: version.name,
    state: version.state,
    protectionLevel: PROTECTION,
    algorithm: ALGORITHM,
    createTime: toTimestamp(version.createTimeMs),
    generateTime: toTimestamp(version.createTimeMs),
  };
  if (version.destroyTimeMs !== undefined) message.destroyTime = toTimestamp(version.destroyTimeMs);
  if (version.destroyEventTimeMs !== undefined)
    message.destroyEventTime = toTimestamp(version.destroyEventTimeMs);
  return message;
}

function keyRingToMessage(ring: KeyRing): KeyRingMessage {
  return { name: ring.name, createTime: toTimestamp(ring.createTimeMs) };
}

/** Checks a client-supplied CRC32C; returns whether one was supplied (the `verified_*` answer). */
function verifyCrc(
  data: Buffer,
  checksum: Int64Value | null | undefined,
  field: string,
  dataField: string,
): boolean {
  if (!checksum) return false;
  if ((checksum.value ?? 0) !== crc32c(data)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `The checksum in field ${field} did not match the data in field ${dataField}.`,
    );
  }
  return true;
}

function limitSize(data: Buffer, max: number, field: string): void {
  if (data.length > max) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `The ${field} must be no larger than ${max === MAX_DATA_BYTES ? '64KiB' : `${max} bytes`}.`,
    );
  }
}

/** Starts the Cloud KMS v1 emulator (gRPC, insecure, no auth) on ctx.host. */
export async function startKmsEmulator(
  ctx: EmulatorContext,
  options: KmsEmulatorOptions = {},
): Promise<RunningService> {
  const store = new KeyStore(options.destroyDelayMs);
  const rpc = new RpcKit(ctx, 'kms');

  const keyToMessage = (key: CryptoKey): CryptoKeyMessage => {
    const message: CryptoKeyMessage = {
      name: key.name,
      purpose: 'ENCRYPT_DECRYPT',
      createTime: toTimestamp(key.createTimeMs),
      versionTemplate: { protectionLevel: PROTECTION, algorithm: ALGORITHM },
      labels: key.labels,
      importOnly: false,
      destroyScheduledDuration: durationToMessage(key.destroyScheduledDurationMs),
    };
    const primary = store.primary(key);
    if (primary) message.primary = versionToMessage(primary);
    if (key.rotationPeriodMs !== undefined) message.rotationPeriod = durationToMessage(key.rotationPeriodMs);
    if (key.nextRotationTimeMs !== undefined) message.nextRotationTime = toTimestamp(key.nextRotationTimeMs);
    return message;
  };

  const listPage = <T, M>(items: T[], req: ListRequest, toMessage: (item: T) => M) => {
    const { page, nextPageToken } = paginate(items, req.pageSize, req.pageToken, 1000);
    return { items: page.map(toMessage), nextPageToken, totalSize: items.length };
  };

  const implementation: grpc.UntypedServiceImplementation = {
    CreateKeyRing: rpc.unary<CreateKeyRingRequest, KeyRingMessage>('CreateKeyRing', (req) => {
      const parent = requireName(req.parent, LOCATION_RE, 'location');
      const id = requireId(req.keyRingId, 'key_ring_id');
      return keyRingToMessage(store.createKeyRing(`${parent}/keyRings/${id}`));
    }),

    GetKeyRing: rpc.unary<NameRequest, KeyRingMessage>('GetKeyRing', (req) =>
      keyRingToMessage(store.keyRing(requireName(req.name, KEY_RING_RE, 'KeyRing'))),
    ),

    ListKeyRings: rpc.unary<
      ListRequest,
      { keyRings: KeyRingMessage[]; nextPageToken: string; totalSize: number }
    >('ListKeyRings', (req) => {
      noFilter(req.filter);
      const { items, ...rest } = listPage(
        store.keyRings(requireName(req.parent, LOCATION_RE, 'location')),
        req,
        keyRingToMessage,
      );
      return { keyRings: items, ...rest };
    }),

    CreateCryptoKey: rpc.unary<CreateCryptoKeyRequest, CryptoKeyMessage>('CreateCryptoKey', (req) => {
      const ring = store.keyRing(requireName(req.parent, KEY_RING_RE, 'KeyRing'));
      const id = requireId(req.cryptoKeyId, 'crypto_key_id');
      const input = req.cryptoKey;
      if (!input?.purpose || input.purpose === 'CRYPTO_KEY_PURPOSE_UNSPECIFIED') {
        throw new RpcError(
          Code.INVALID_ARGUMENT,
          'The request is missing a required field: crypto_key.purpose.',
        );
      }
      if (input.purpose !== 'ENCRYPT_DECRYPT') {
        throw new RpcError(
          Code.UNIMPLEMENTED,
          `The emulator supports only ENCRYPT_DECRYPT keys, not ${input.purpose}.`,
        );
      }
      const template = input.versionTemplate;
      if (template?.algorithm && template.algorithm !== ALGORITHM) {
        throw new RpcError(Code.UNIMPLEMENTED, `The emulator supports only the ${ALGORITHM} algorithm.`);
      }
      if (
        template?.protectionLevel &&
        !['PROTECTION_LEVEL_UNSPECIFIED', PROTECTION].includes(template.protectionLevel)
      ) {
        throw new RpcError(Code.UNIMPLEMENTED, 'The emulator supports only the SOFTWARE protection level.');
      }
      if (input.importOnly)
        throw new RpcError(Code.UNIMPLEMENTED, 'The emulator does not support import-only keys.');
      const destroyMs = toMillis(input.destroyScheduledDuration) ?? DEFAULT_DESTROY_SCHEDULED_MS;
      if (destroyMs < DAY_MS || destroyMs > 120 * DAY_MS) {
        throw new RpcError(
          Code.INVALID_ARGUMENT,
          'destroy_scheduled_duration must be between 24 hours and 120 days.',
        );
      }
      const rotationPeriodMs = toMillis(input.rotationPeriod);
      const nextRotationTimeMs = toMillis(input.nextRotationTime);
      const key = store.createCryptoKey(
        ring,
        id,
        {
          destroyScheduledDurationMs: destroyMs,
          labels: { ...(input.labels ?? {}) },
          ...(rotationPeriodMs === undefined ? {} : { rotationPeriodMs }),
          ...(nextRotationTimeMs === undefined ? {} : { nextRotationTimeMs }),
        },
        !req.skipInitialVersionCreation,
      );
      return keyToMessage(key);
    }),

    GetCryptoKey: rpc.unary<NameRequest, CryptoKeyMessage>('GetCryptoKey', (req) =>
      keyToMessage(store.cryptoKey(requireName(req.name, CRYPTO_KEY_RE, 'CryptoKey'))),
    ),

    ListCryptoKeys: rpc.unary<
      ListRequest,
      { cryptoKeys: CryptoKeyMessage[]; nextPageToken: string; totalSize: number }
    >('ListCryptoKeys', (req) => {
      noFilter(req.filter);
      const ring = store.keyRing(requireName(req.parent, KEY_RING_RE, 'KeyRing'));
      const { items, ...rest } = listPage([...ring.keys.values()], req, keyToMessage);
      return { cryptoKeys: items, ...rest };
    }),

    UpdateCryptoKey: rpc.unary<UpdateCryptoKeyRequest, CryptoKeyMessage>('UpdateCryptoKey', (req) => {
      const input = req.cryptoKey;
      const key = store.cryptoKey(requireName(input?.name, CRYPTO_KEY_RE, 'CryptoKey'));
      const paths = req.updateMask?.paths ?? [];
      if (paths.length === 0)
        throw new RpcError(Code.INVALID_ARGUMENT, 'The request is missing a required field: update_mask.');
      for (const path of paths) {
        const field = path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        if (field === 'labels') key.labels = { ...(input?.labels ?? {}) };
        else if (field === 'rotation_period') {
          const ms = toMillis(input?.rotationPeriod);
          if (ms === undefined) delete key.rotationPeriodMs;
          else key.rotationPeriodMs = ms;
        } else if (field === 'next_rotation_time') {
          const ms = toMillis(input?.nextRotationTime);
          if (ms === undefined) delete key.nextRotationTimeMs;
          else key.nextRotationTimeMs = ms;
        } else {
          throw new RpcError(Code.INVALID_ARGUMENT, `The field ${field} cannot be updated by the emulator.`);
        }
      }
      return keyToMessage(key);
    }),

    CreateCryptoKeyVersion: rpc.unary<CreateCryptoKeyVersionRequest, CryptoKeyVersionMessage>(
      'CreateCryptoKeyVersion',
      (req) =>
        versionToMessage(
          store.addVersion(store.cryptoKey(requireName(req.parent, CRYPTO_KEY_RE, 'CryptoKey'))),
        ),
    ),

    GetCryptoKeyVersion: rpc.unary<NameRequest, CryptoKeyVersionMessage>('GetCryptoKeyVersion', (req) =>
      versionToMessage(store.version(requireName(req.name, VERSION_RE, 'CryptoKeyVersion')).version),
    ),

    ListCryptoKeyVersions: rpc.unary<
      ListRequest,
      { cryptoKeyVersions: CryptoKeyVersionMessage[]; nextPageToken: string; totalSize: number }
    >('ListCryptoKeyVersions', (req) => {
      const key = store.cryptoKey(requireName(req.parent, CRYPTO_KEY_RE, 'CryptoKey'));
      const keep = stateFilter(req.filter);
      const versions = [...key.versions.values()]
        .map((v) => store.current(v))
        .filter((v) => !keep || keep(v.state));
      const { items, ...rest } = listPage(versions, req, versionToMessage);
      return { cryptoKeyVersions: items, ...rest };
    }),

    UpdateCryptoKeyVersion: rpc.unary<UpdateCryptoKeyVersionRequest, CryptoKeyVersionMessage>(
      'UpdateCryptoKeyVersion',
      (req) => {
        const input = req.cryptoKeyVersion;
        const { version } = store.version(requireName(input?.name, VERSION_RE, 'CryptoKeyVersion'));
        const paths = req.updateMask?.paths ?? [];
        if (paths.length !== 1 || paths[0] !== 'state') {
          throw new RpcError(
            Code.INVALID_ARGUMENT,
            'The emulator can update only the state of a CryptoKeyVersion.',
          );
        }
        if (input?.state !== 'ENABLED' && input?.state !== 'DISABLED') {
          throw new RpcError(Code.INVALID_ARGUMENT, 'crypto_key_version.state must be ENABLED or DISABLED.');
        }
        store.setEnabled(version, input.state === 'ENABLED');
        return versionToMessage(version);
      },
    ),

    UpdateCryptoKeyPrimaryVersion: rpc.unary<UpdateCryptoKeyPrimaryVersionRequest, CryptoKeyMessage>(
      'UpdateCryptoKeyPrimaryVersion',
      (req) => {
        const key = store.cryptoKey(requireName(req.name, CRYPTO_KEY_RE, 'CryptoKey'));
        if (!req.cryptoKeyVersionId || !/^\d+$/.test(req.cryptoKeyVersionId)) {
          throw new RpcError(Code.INVALID_ARGUMENT, 'crypto_key_version_id must be a version number.');
        }
        store.setPrimary(key, req.cryptoKeyVersionId);
        return keyToMessage(key);
      },
    ),

    DestroyCryptoKeyVersion: rpc.unary<NameRequest, CryptoKeyVersionMessage>(
      'DestroyCryptoKeyVersion',
      (req) => {
        const { key, version } = store.version(requireName(req.name, VERSION_RE, 'CryptoKeyVersion'));
        return versionToMessage(store.destroy(key, version));
      },
    ),

    RestoreCryptoKeyVersion: rpc.unary<NameRequest, CryptoKeyVersionMessage>(
      'RestoreCryptoKeyVersion',
      (req) => {
        const { version } = store.version(requireName(req.name, VERSION_RE, 'CryptoKeyVersion'));
        return versionToMessage(store.restore(version));
      },
    ),

    Encrypt: rpc.unary<EncryptRequest, EncryptResponse>('Encrypt', (req) => {
      const plaintext = req.plaintext ?? Buffer.alloc(0);
      const aad = req.additionalAuthenticatedData ?? Buffer.alloc(0);
      const verifiedPlaintext = verifyCrc(plaintext, req.plaintextCrc32c, 'plaintext_crc32c', 'plaintext');
      const verifiedAad = verifyCrc(
        aad,
        req.additionalAuthenticatedDataCrc32c,
        'additional_authenticated_data_crc32c',
        'additional_authenticated_data',
      );
      limitSize(plaintext, MAX_DATA_BYTES, 'plaintext');
      limitSize(aad, MAX_DATA_BYTES, 'additional_authenticated_data');
      // Encrypt takes a key (its primary is used) or a specific version.
      let version: KeyVersion;
      if (req.name && VERSION_RE.test(req.name)) {
        version = store.version(req.name).version;
      } else {
        const key = store.cryptoKey(requireName(req.name, CRYPTO_KEY_RE, 'CryptoKey or CryptoKeyVersion'));
        const primary = store.primary(key);
        if (!primary)
          throw new RpcError(Code.FAILED_PRECONDITION, `${key.name} has no primary CryptoKeyVersion.`);
        version = primary;
      }
      const ciphertext = store.encrypt(version, plaintext, aad);
      return {
        name: version.name,
        ciphertext,
        ciphertextCrc32c: { value: crc32c(ciphertext) },
        verifiedPlaintextCrc32c: verifiedPlaintext,
        verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad,
        protectionLevel: PROTECTION,
      };
    }),

    Decrypt: rpc.unary<DecryptRequest, DecryptResponse>('Decrypt', (req) => {
      // Decrypt names the crypto key; the version is read from the ciphertext.
      const key = store.cryptoKey(requireName(req.name, CRYPTO_KEY_RE, 'CryptoKey'));
      const ciphertext = req.ciphertext ?? Buffer.alloc(0);
      const aad = req.additionalAuthenticatedData ?? Buffer.alloc(0);
      verifyCrc(ciphertext, req.ciphertextCrc32c, 'ciphertext_crc32c', 'ciphertext');
      verifyCrc(
        aad,
        req.additionalAuthenticatedDataCrc32c,
        'additional_authenticated_data_crc32c',
        'additional_authenticated_data',
      );
      limitSize(ciphertext, MAX_CIPHERTEXT_BYTES, 'ciphertext');
      limitSize(aad, MAX_DATA_BYTES, 'additional_authenticated_data');
      const { plaintext, version } = store.decrypt(key, ciphertext, aad);
      return {
        plaintext,
        plaintextCrc32c: { value: crc32c(plaintext) },
        usedPrimary: version.id === key.primaryId,
        protectionLevel: PROTECTION,
      };
    }),
  };

  const definition = loadService(
    '@google-cloud/kms',
    'google/cloud/kms/v1/service.proto',
    'google.cloud.kms.v1.KeyManagementService',
  );
  const { server, port } = await listen(ctx.host, options.port ?? 0, [[definition, implementation]]);

  return {
    address: `${ctx.host}:${port}`,
    async stop() {
      rpc.stop();
      server.forceShutdown();
    },
  };
}
