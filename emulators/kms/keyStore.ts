import { randomBytes } from 'node:crypto';
import { Code, RpcError } from '../tasks/rpc.js';
import { CIPHERTEXT_OVERHEAD, handleOf, open, seal } from './ciphertext.js';

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROY_SCHEDULED' | 'DESTROYED';

export interface KeyVersion {
  readonly name: string;
  readonly id: string;
  readonly handle: Buffer;
  /** The AES-256 key; wiped when the version reaches DESTROYED. */
  material: Buffer | undefined;
  state: VersionState;
  readonly createTimeMs: number;
  destroyTimeMs?: number;
  destroyEventTimeMs?: number;
}

export interface CryptoKey {
  readonly name: string;
  readonly createTimeMs: number;
  readonly destroyScheduledDurationMs: number;
  primaryId: string | undefined;
  readonly versions: Map<string, KeyVersion>;
  readonly byHandle: Map<string, KeyVersion>;
  nextVersion: number;
  labels: Record<string, string>;
  rotationPeriodMs?: number;
  nextRotationTimeMs?: number;
}

export interface KeyRing {
  readonly name: string;
  readonly createTimeMs: number;
  readonly keys: Map<string, CryptoKey>;
}

export const MAX_DATA_BYTES = 64 * 1024;

/**
 * Key rings, crypto keys and versions with their key material. Scheduled destruction
 * is applied lazily on every read, so the store needs no timers.
 */
export class KeyStore {
  private readonly rings = new Map<string, KeyRing>();

  /** @param destroyDelayMs when set, replaces every key's destroy_scheduled_duration (0 = at once). */
  constructor(private readonly destroyDelayMs: number | undefined) {}

  createKeyRing(name: string): KeyRing {
    if (this.rings.has(name)) throw new RpcError(Code.ALREADY_EXISTS, `KeyRing ${name} already exists.`);
    const ring: KeyRing = { name, createTimeMs: Date.now(), keys: new Map() };
    this.rings.set(name, ring);
    return ring;
  }

  keyRing(name: string): KeyRing {
    const ring = this.rings.get(name);
    if (!ring) throw new RpcError(Code.NOT_FOUND, `KeyRing ${name} not found.`);
    return ring;
  }

  keyRings(parent: string): KeyRing[] {
    return [...this.rings.values()].filter((r) => r.name.startsWith(`${parent}/keyRings/`));
  }

  createCryptoKey(
    ring: KeyRing,
    id: string,
    init: {
      destroyScheduledDurationMs: number;
      labels: Record<string, string>;
      rotationPeriodMs?: number;
      nextRotationTimeMs?: number;
    },
    withFirstVersion: boolean,
  ): CryptoKey {
    const name = `${ring.name}/cryptoKeys/${id}`;
    if (ring.keys.has(name)) throw new RpcError(Code.ALREADY_EXISTS, `CryptoKey ${name} already exists.`);
    const key: CryptoKey = {
      name,
      createTimeMs: Date.now(),
      primaryId: undefined,
      versions: new Map(),
      byHandle: new Map(),
      nextVersion: 1,
      ...init,
    };
    ring.keys.set(name, key);
    if (withFirstVersion) key.primaryId = this.addVersion(key).id;
    return key;
  }

  cryptoKey(name: string): CryptoKey {
    const ringName = name.slice(0, name.lastIndexOf('/cryptoKeys/'));
    const key = this.rings.get(ringName)?.keys.get(name);
    if (!key) throw new RpcError(Code.NOT_FOUND, `CryptoKey ${name} not found.`);
    return key;
  }

  addVersion(key: CryptoKey): KeyVersion {
    const id = String(key.nextVersion++);
    const version: KeyVersion = {
      name: `${key.name}/cryptoKeyVersions/${id}`,
      id,
      handle: randomBytes(16),
      material: randomBytes(32),
      state: 'ENABLED',
      createTimeMs: Date.now(),
    };
    key.versions.set(id, version);
    key.byHandle.set(version.handle.toString('hex'), version);
    return version;
  }

  version(name: string): { key: CryptoKey; version: KeyVersion } {
    const at = name.lastIndexOf('/cryptoKeyVersions/');
    const key = this.cryptoKey(name.slice(0, at));
    const version = key.versions.get(name.slice(at + '/cryptoKeyVersions/'.length));
    if (!version) throw new RpcError(Code.NOT_FOUND, `CryptoKeyVersion ${name} not found.`);
    return { key, version: this.current(version) };
  }

  /** A version with any due scheduled destruction carried out. */
  current(version: KeyVersion): KeyVersion {
    if (version.state === 'DESTROY_SCHEDULED' && (version.destroyTimeMs ?? 0) <= Date.now()) {
      version.state = 'DESTROYED';
      version.material?.fill(0);
      version.material = undefined;
      version.destroyEventTimeMs = version.destroyTimeMs ?? Date.now();
    }
    return version;
  }

  primary(key: CryptoKey): KeyVersion | undefined {
    const version = key.primaryId === undefined ? undefined : key.versions.get(key.primaryId);
    return version && this.current(version);
  }

  setPrimary(key: CryptoKey, versionId: string): void {
    const version = key.versions.get(versionId);
    if (!version)
      throw new RpcError(
        Code.NOT_FOUND,
        `CryptoKeyVersion ${key.name}/cryptoKeyVersions/${versionId} not found.`,
      );
    requireEnabled(this.current(version));
    key.primaryId = versionId;
  }

  setEnabled(version: KeyVersion, enabled: boolean): void {
    if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
      throw new RpcError(
        Code.FAILED_PRECONDITION,
        `${version.name} cannot be ${enabled ? 'enabled' : 'disabled'}, current state is: ${version.state}.`,
      );
    }
    version.state = enabled ? 'ENABLED' : 'DISABLED';
  }

  /** Schedules destruction; the version is unusable from this moment on. */
  destroy(key: CryptoKey, version: KeyVersion): KeyVersion {
    if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
      throw new RpcError(
        Code.FAILED_PRECONDITION,
        `${version.name} is not enabled or disabled, current state is: ${version.state}.`,
      );
    }
    version.state = 'DESTROY_SCHEDULED';
    version.destroyTimeMs = Date.now() + (this.destroyDelayMs ?? key.destroyScheduledDurationMs);
    return this.current(version);
  }

  restore(version: KeyVersion): KeyVersion {
    if (version.state !== 'DESTROY_SCHEDULED') {
      throw new RpcError(
        Code.FAILED_PRECONDITION,
        `${version.name} is not scheduled for destruction, current state is: ${version.state}.`,
      );
    }
    version.state = 'DISABLED';
    delete version.destroyTimeMs;
    return version;
  }

  encrypt(version: KeyVersion, plaintext: Buffer, aad: Buffer): Buffer {
    requireEnabled(version);
    return seal(version.handle, version.material as Buffer, plaintext, aad);
  }

  decrypt(key: CryptoKey, ciphertext: Buffer, aad: Buffer): { plaintext: Buffer; version: KeyVersion } {
    const handle = handleOf(ciphertext);
    const found = handle && key.byHandle.get(handle.toString('hex'));
    if (!found) throw decryptionFailed();
    const version = this.current(found);
    requireEnabled(version);
    const plaintext = open(version.material as Buffer, ciphertext, aad);
    if (!plaintext) throw decryptionFailed();
    return { plaintext, version };
  }
}

export const MAX_CIPHERTEXT_BYTES = MAX_DATA_BYTES + CIPHERTEXT_OVERHEAD;

function requireEnabled(version: KeyVersion): void {
  if (version.state !== 'ENABLED' || !version.material) {
    throw new RpcError(
      Code.FAILED_PRECONDITION,
      `${version.name} is not enabled, current state is: ${version.state}.`,
    );
  }
}

/** Google's wording: the caller cannot tell a wrong key from altered data or AAD. */
function decryptionFailed(): RpcError {
  return new RpcError(
    Code.INVALID_ARGUMENT,
    "Decryption failed: verify that 'name' refers to the correct CryptoKey.",
  );
}
