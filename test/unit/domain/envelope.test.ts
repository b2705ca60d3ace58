import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { SealedSecret } from '../../../shared/contracts/sealedSecret.js';
import { DataKeyCache, envelopeAad, openSecret, sealSecret } from '../../../shared/domain/envelope.js';
import { InvalidArgumentError, NotFoundError } from '../../../shared/domain/errors.js';
import { MemoryKeyService } from '../../fakes/memoryKeyService.js';

// A credential-shaped value with a key made for this run: nothing secret lives in the repository.
const secret = Buffer.from(
  JSON.stringify({
    type: 'service_account',
    private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }),
  }),
);
let keys: MemoryKeyService;

beforeEach(async () => {
  keys = new MemoryKeyService();
  await keys.ensureWorkspaceKey('acme');
  await keys.ensureWorkspaceKey('globex');
});

/** Flips one bit of a base64 field. */
function flip(b64: string, index = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return bytes.toString('base64');
}

async function openError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('envelope encryption', () => {
  it('round-trips, and the record is a valid SealedSecret that does not contain the plaintext', async () => {
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    expect(SealedSecret.parse(sealed)).toEqual(sealed);
    expect(sealed).toMatchObject({
      version: 1,
      algorithm: 'AES-256-GCM',
      keyVersion: 'keys/acme/cryptoKeyVersions/1',
    });
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE');
    expect((await openSecret(keys, 'acme', 'credential/prod', sealed)).equals(secret)).toBe(true);
  });

  it('two seals of the same plaintext share no ciphertext, IV or wrapped key', async () => {
    const a = await sealSecret(keys, 'acme', 'credential/prod', secret);
    const b = await sealSecret(keys, 'acme', 'credential/prod', secret);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.iv).not.toBe(b.iv);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
  });

  it.each([
    ['another workspace', 'globex', 'credential/prod'],
    ['another object', 'acme', 'credential/staging'],
    ['another kind of object', 'acme', 'secret/prod'],
  ])('a sealed value copied to %s does not open', async (_what, ws, objectId) => {
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    const err = await openError(openSecret(keys, ws, objectId, sealed));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String(err)).not.toContain('PRIVATE');
  });

  it.each([
    ['ciphertext', (s: SealedSecret) => ({ ...s, ciphertext: flip(s.ciphertext, 3) })],
    ['tag', (s: SealedSecret) => ({ ...s, tag: flip(s.tag) })],
    ['iv', (s: SealedSecret) => ({ ...s, iv: flip(s.iv) })],
    ['wrapped key', (s: SealedSecret) => ({ ...s, wrappedKey: flip(s.wrappedKey, 20) })],
    ['version', (s: SealedSecret) => ({ ...s, version: 2 }) as unknown as SealedSecret],
  ])('a tampered %s fails with InvalidArgumentError', async (_field, tamper) => {
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    expect(await openError(openSecret(keys, 'acme', 'credential/prod', tamper(sealed)))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('the AAD is injective: a colon inside an object id cannot shift the workspace boundary', () => {
    expect(envelopeAad('a', 'b:c').equals(envelopeAad('a:b', 'c'))).toBe(false);
    expect(envelopeAad('acme', 'credential/prod').toString()).toBe('pushrun:v1:acme:credential%2Fprod');
  });

  it('sealing for a workspace without a key fails with the port error', async () => {
    expect(await openError(sealSecret(keys, 'initech', 'credential/prod', secret))).toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('DataKeyCache', () => {
  it('saves unwraps on repeated opens, still checks the object binding, and forgets a workspace on invalidate', async () => {
    const now = 0;
    const cache = new DataKeyCache({ ttlMs: 1000, now: () => now });
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    for (let i = 0; i < 3; i++) {
      expect((await openSecret(keys, 'acme', 'credential/prod', sealed, cache)).equals(secret)).toBe(true);
    }
    expect(keys.calls.unwrap).toBe(1);
    // A warm cache does not let the same sealed value open as another object.
    expect(await openError(openSecret(keys, 'acme', 'credential/other', sealed, cache))).toBeInstanceOf(
      InvalidArgumentError,
    );

    await keys.destroyWorkspaceKey('acme');
    // Within the TTL the cached key still opens: the documented bound on honouring destruction...
    expect((await openSecret(keys, 'acme', 'credential/prod', sealed, cache)).equals(secret)).toBe(true);
    // ...and invalidate(ws) honours it at once.
    cache.invalidate('acme');
    expect(await openError(openSecret(keys, 'acme', 'credential/prod', sealed, cache))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('expires entries after the TTL (a hit does not extend it) and stays within maxEntries', async () => {
    let now = 0;
    const cache = new DataKeyCache({ ttlMs: 1000, maxEntries: 2, now: () => now });
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    await openSecret(keys, 'acme', 'credential/prod', sealed, cache);
    now = 900;
    await openSecret(keys, 'acme', 'credential/prod', sealed, cache);
    expect(keys.calls.unwrap).toBe(1);
    now = 1000;
    await openSecret(keys, 'acme', 'credential/prod', sealed, cache);
    expect(keys.calls.unwrap).toBe(2);

    for (const name of ['a', 'b', 'c']) {
      await openSecret(keys, 'acme', name, await sealSecret(keys, 'acme', name, secret), cache);
    }
    expect(cache.size).toBe(2);
  });

  it('hands out copies: zeroing an opened key or plaintext does not poison the cache', async () => {
    const cache = new DataKeyCache();
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    (await openSecret(keys, 'acme', 'credential/prod', sealed, cache)).fill(0);
    expect((await openSecret(keys, 'acme', 'credential/prod', sealed, cache)).equals(secret)).toBe(true);
  });
});
