/**
 * Envelope encryption of credentials and secrets over the KeyService port.
 *
 * Each value gets a fresh random 256-bit data key and is encrypted locally with
 * AES-256-GCM; only the 32-byte data key goes to KMS, wrapped by the
 * workspace's key. One additional-authenticated-data string binds both layers to
 * the workspace, the object and the format version, so a sealed value copied to
 * another workspace or object (or replayed under another format) does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SealedSecret } from '../contracts/sealedSecret.js';
import type { KeyService } from '../ports/keyService.js';
import { InvalidArgumentError } from './errors.js';

const ALGORITHM = 'aes-256-gcm';
const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 1;

/**
 * The AAD for a value: `pushrun:v1:{ws}:{objectId}` with both parts
 * percent-encoded, so ':' inside an object id cannot make two different
 * (ws, objectId) pairs produce the same string.
 */
export function envelopeAad(workspace: string, objectId: string): Buffer {
  if (workspace.length === 0 || objectId.length === 0) {
    throw new InvalidArgumentError('a sealed value needs a workspace and an object id');
  }
  return Buffer.from(
    `pushrun:v${FORMAT_VERSION}:${encodeURIComponent(workspace)}:${encodeURIComponent(objectId)}`,
    'utf8',
  );
}

/**
 * Encrypts `plaintext` for object `objectId` (e.g. `credential/prod`) of
 * workspace `ws`. Two seals of the same plaintext differ (fresh key and IV).
 * Throws what KeyService.wrap throws (RetryableError, NotFoundError when the
 * workspace has no key).
 */
export async function sealSecret(
  keys: KeyService,
  ws: string,
  objectId: string,
  plaintext: Buffer,
): Promise<SealedSecret> {
  const aad = envelopeAad(ws, objectId);
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, dataKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const { wrapped, keyVersion } = await keys.wrap(ws, dataKey, aad);
    return {
      version: FORMAT_VERSION,
      algorithm: 'AES-256-GCM',
      ciphertext: ciphertext.toString('base64'),
      iv: iv.toString('base64'),
      tag: tag.toString('base64'),
      wrappedKey: wrapped.toString('base64'),
      keyVersion,
    };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts what sealSecret produced for the same workspace and object id.
 * The caller should zero the returned buffer when done with it.
 *
 * Throws InvalidArgumentError when the record is malformed, was sealed for
 * another workspace or object, was altered, or its workspace key was destroyed;
 * RetryableError when KMS is unreachable. Messages never include the data.
 */
export async function openSecret(
  keys: KeyService,
  ws: string,
  objectId: string,
  sealed: SealedSecret,
  cache?: DataKeyCache | undefined,
): Promise<Buffer> {
  const parsed = SealedSecret.safeParse(sealed);
  if (!parsed.success) throw new InvalidArgumentError(`the sealed value of ${objectId} is malformed`);
  const record = parsed.data;
  const aad = envelopeAad(ws, objectId);
  const wrapped = Buffer.from(record.wrappedKey, 'base64');

  let dataKey = cache?.get(ws, aad, wrapped);
  if (!dataKey) {
    dataKey = await keys.unwrap(ws, wrapped, aad);
    cache?.set(ws, aad, wrapped, dataKey);
  }
  try {
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error('data key has the wrong length');
    const decipher = createDecipheriv(ALGORITHM, dataKey, Buffer.from(record.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(record.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(record.ciphertext, 'base64')), decipher.final()]);
  } catch {
    // No cause: Node's message is generic, but nothing of the value may travel with the error.
    throw new InvalidArgumentError(`the sealed value of ${objectId} does not open`);
  } finally {
    dataKey.fill(0);
  }
}

export interface DataKeyCacheOptions {
  /** How long an unwrapped data key may be reused; default 5 minutes. */
  ttlMs?: number;
  /** Most keys held; the oldest go first. Default 1000. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface CachedKey {
  ws: string;
  key: Buffer;
  expiresAtMs: number;
}

/**
 * Unwrapped data keys, kept briefly in process memory so repeated launches of
 * the same deployment (same credential) do not each pay a KMS Decrypt.
 *
 * Why this is safe:
 * - A data key belongs to one sealed value: caching it grants nothing beyond
 *   that value, which this process just decrypted anyway.
 * - Entries live in this process's memory only (never logged, never persisted)
 *   and are zeroed when they expire, are evicted or invalidated.
 * - An entry is found only by the exact (workspace, AAD, wrapped key) that KMS
 *   accepted, and the GCM tag over ciphertext + AAD is still checked on every
 *   open: a copied or altered value fails with or without the cache.
 * - TTL 5 minutes from the KMS unwrap (a hit does not extend it): destroying or
 *   disabling the workspace key is honoured by every process within 5 minutes.
 *   The process that destroys the key calls `invalidate(ws)` to honour it at once.
 * - At most 1000 keys (32 bytes each), so memory stays bounded.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, CachedKey>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: DataKeyCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** A copy of the cached key (the caller may zero it), or undefined. */
  get(ws: string, aad: Buffer, wrapped: Buffer): Buffer | undefined {
    const id = entryId(ws, aad, wrapped);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.drop(id, entry);
      return undefined;
    }
    return Buffer.from(entry.key);
  }

  /** Keeps a copy of `key`. */
  set(ws: string, aad: Buffer, wrapped: Buffer, key: Buffer): void {
    const id = entryId(ws, aad, wrapped);
    const existing = this.entries.get(id);
    if (existing) this.drop(id, existing);
    this.entries.set(id, { ws, key: Buffer.from(key), expiresAtMs: this.now() + this.ttlMs });
    // Map order is insertion order: the first entries are the oldest.
    for (const [oldId, old] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.drop(oldId, old);
    }
  }

  /** Forgets every key of a workspace (call when its KMS key is destroyed). */
  invalidate(ws: string): void {
    for (const [id, entry] of this.entries) if (entry.ws === ws) this.drop(id, entry);
  }

  clear(): void {
    for (const [id, entry] of this.entries) this.drop(id, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(id: string, entry: CachedKey): void {
    entry.key.fill(0);
    this.entries.delete(id);
  }
}

function entryId(ws: string, aad: Buffer, wrapped: Buffer): string {
  const digest = createHash('sha256')
    .update(String(aad.length))
    .update(':')
    .update(aad)
    .update(wrapped)
    .digest('base64');
  return `${ws}\0${digest}`;
}
