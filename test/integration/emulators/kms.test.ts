import { randomBytes, randomUUID } from 'node:crypto';
import { crc32c } from '@aws-crypto/crc32c';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { grpc } from 'google-gax';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../emulators/core/types.js';
import { startKmsEmulator } from '../../../emulators/kms/kmsEmulator.js';
import { createTestContext, type TestContext } from './support/testContext.js';

const LOCATION = 'projects/pushrun-test/locations/europe-west1';

let ctx: TestContext;
let emulator: RunningService;
let client: KeyManagementServiceClient;

function clientFor(address: string): KeyManagementServiceClient {
  const [host, port] = address.split(':');
  return new KeyManagementServiceClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
}

async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** A fresh key ring with one ENCRYPT_DECRYPT key, as pushrun creates per workspace. */
async function createKey(kms = client): Promise<string> {
  const [ring] = await kms.createKeyRing({
    parent: LOCATION,
    keyRingId: `ring-${randomUUID().slice(0, 8)}`,
    keyRing: {},
  });
  const [key] = await kms.createCryptoKey({
    parent: ring.name ?? '',
    cryptoKeyId: 'workspace-key',
    cryptoKey: { purpose: 'ENCRYPT_DECRYPT', labels: { workspace: 'ws1' } },
  });
  return key.name ?? '';
}

const aad = Buffer.from('workspaces/ws1/credentials/c1');

beforeAll(async () => {
  ctx = await createTestContext();
  emulator = await startKmsEmulator(ctx, { destroyDelayMs: 0 });
  client = clientFor(emulator.address);
});

afterEach(() => {
  ctx.faults.clear();
});

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  await ctx?.close();
});

describe('Cloud KMS emulator: resources', () => {
  it('creates, gets and lists key rings; a duplicate id is ALREADY_EXISTS and an unknown one NOT_FOUND', async () => {
    const keyRingId = `ring-${randomUUID().slice(0, 8)}`;
    const [ring] = await client.createKeyRing({ parent: LOCATION, keyRingId, keyRing: {} });
    expect(ring.name).toBe(`${LOCATION}/keyRings/${keyRingId}`);
    expect(ring.createTime).toBeTruthy();
    expect((await client.getKeyRing({ name: ring.name ?? '' }))[0].name).toBe(ring.name);
    const [rings] = await client.listKeyRings({ parent: LOCATION });
    expect(rings.map((r) => r.name)).toContain(ring.name);
    expect(await codeOf(client.createKeyRing({ parent: LOCATION, keyRingId, keyRing: {} }))).toBe(6);
    expect(await codeOf(client.getKeyRing({ name: `${LOCATION}/keyRings/absent` }))).toBe(5);
    expect(await codeOf(client.createKeyRing({ parent: LOCATION, keyRingId: 'bad id!', keyRing: {} }))).toBe(
      3,
    );
  });

  it('creates an ENCRYPT_DECRYPT key with an enabled first version as primary', async () => {
    const name = await createKey();
    const [key] = await client.getCryptoKey({ name });
    expect(key.purpose).toBe('ENCRYPT_DECRYPT');
    expect(key.labels).toEqual({ workspace: 'ws1' });
    expect(key.primary?.name).toBe(`${name}/cryptoKeyVersions/1`);
    expect(key.primary?.state).toBe('ENABLED');
    expect(key.primary?.algorithm).toBe('GOOGLE_SYMMETRIC_ENCRYPTION');
    const ring = name.slice(0, name.indexOf('/cryptoKeys/'));
    expect((await client.listCryptoKeys({ parent: ring }))[0].map((k) => k.name)).toEqual([name]);
    const [versions] = await client.listCryptoKeyVersions({ parent: name });
    expect(versions.map((v) => v.name)).toEqual([`${name}/cryptoKeyVersions/1`]);
    expect(
      await codeOf(
        client.createCryptoKey({
          parent: ring,
          cryptoKeyId: 'workspace-key',
          cryptoKey: { purpose: 'ENCRYPT_DECRYPT' },
        }),
      ),
    ).toBe(6);
    expect(await codeOf(client.getCryptoKey({ name: `${ring}/cryptoKeys/absent` }))).toBe(5);
  });
});

describe('Cloud KMS emulator: encryption', () => {
  it('round-trips with AAD and reports and verifies the CRC32C integrity fields', async () => {
    const name = await createKey();
    const plaintext = Buffer.from('{"type":"service_account","private_key":"…"}');
    const [encrypted] = await client.encrypt({
      name,
      plaintext,
      additionalAuthenticatedData: aad,
      plaintextCrc32c: { value: crc32c(plaintext) },
      additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
    });
    expect(encrypted.name).toBe(`${name}/cryptoKeyVersions/1`);
    expect(encrypted.verifiedPlaintextCrc32c).toBe(true);
    expect(encrypted.verifiedAdditionalAuthenticatedDataCrc32c).toBe(true);
    const ciphertext = Buffer.from(encrypted.ciphertext ?? '');
    expect(ciphertext.includes(plaintext)).toBe(false);
    expect(Number(encrypted.ciphertextCrc32c?.value)).toBe(crc32c(ciphertext));

    const [decrypted] = await client.decrypt({
      name,
      ciphertext,
      additionalAuthenticatedData: aad,
      ciphertextCrc32c: { value: crc32c(ciphertext) },
    });
    expect(Buffer.from(decrypted.plaintext ?? '').equals(plaintext)).toBe(true);
    expect(Number(decrypted.plaintextCrc32c?.value)).toBe(crc32c(plaintext));
    expect(decrypted.usedPrimary).toBe(true);

    const [unchecked] = await client.encrypt({ name, plaintext });
    expect(unchecked.verifiedPlaintextCrc32c).toBe(false);
  });

  it('fails decryption with INVALID_ARGUMENT when the AAD differs or is missing, or the ciphertext is another key’s or altered', async () => {
    const name = await createKey();
    const other = await createKey();
    const [encrypted] = await client.encrypt({
      name,
      plaintext: Buffer.from('secret'),
      additionalAuthenticatedData: aad,
    });
    const ciphertext = Buffer.from(encrypted.ciphertext ?? '');
    const wrongAad = Buffer.from('workspaces/ws2/credentials/c1');
    expect(await codeOf(client.decrypt({ name, ciphertext, additionalAuthenticatedData: wrongAad }))).toBe(3);
    expect(await codeOf(client.decrypt({ name, ciphertext }))).toBe(3);
    expect(await codeOf(client.decrypt({ name: other, ciphertext, additionalAuthenticatedData: aad }))).toBe(
      3,
    );
    const altered = Buffer.from(ciphertext);
    altered[altered.length - 20] = (altered[altered.length - 20] ?? 0) ^ 1;
    expect(
      await codeOf(client.decrypt({ name, ciphertext: altered, additionalAuthenticatedData: aad })),
    ).toBe(3);
  });

  it('rejects a wrong client checksum with INVALID_ARGUMENT', async () => {
    const name = await createKey();
    const plaintext = Buffer.from('payload');
    const wrong = { value: (crc32c(plaintext) + 1) % 2 ** 32 };
    expect(await codeOf(client.encrypt({ name, plaintext, plaintextCrc32c: wrong }))).toBe(3);
    expect(
      await codeOf(
        client.encrypt({
          name,
          plaintext,
          additionalAuthenticatedData: aad,
          additionalAuthenticatedDataCrc32c: wrong,
        }),
      ),
    ).toBe(3);
    const [encrypted] = await client.encrypt({ name, plaintext });
    const ciphertext = Buffer.from(encrypted.ciphertext ?? '');
    expect(
      await codeOf(client.decrypt({ name, ciphertext, ciphertextCrc32c: { value: crc32c(ciphertext) ^ 1 } })),
    ).toBe(3);
  });

  it('accepts 64 KiB of plaintext and refuses one byte more', async () => {
    const name = await createKey();
    const max = randomBytes(64 * 1024);
    const [encrypted] = await client.encrypt({ name, plaintext: max });
    const [decrypted] = await client.decrypt({ name, ciphertext: encrypted.ciphertext ?? '' });
    expect(Buffer.from(decrypted.plaintext ?? '').equals(max)).toBe(true);
    expect(await codeOf(client.encrypt({ name, plaintext: randomBytes(64 * 1024 + 1) }))).toBe(3);
  });
});

describe('Cloud KMS emulator: rotation and destruction', () => {
  it('rotation keeps old ciphertexts readable and new encryptions use the new primary', async () => {
    const name = await createKey();
    const [old] = await client.encrypt({
      name,
      plaintext: Buffer.from('before rotation'),
      additionalAuthenticatedData: aad,
    });
    const [v2] = await client.createCryptoKeyVersion({ parent: name, cryptoKeyVersion: {} });
    expect(v2.name).toBe(`${name}/cryptoKeyVersions/2`);
    const [rotated] = await client.updateCryptoKeyPrimaryVersion({ name, cryptoKeyVersionId: '2' });
    expect(rotated.primary?.name).toBe(v2.name);

    const [fresh] = await client.encrypt({
      name,
      plaintext: Buffer.from('after rotation'),
      additionalAuthenticatedData: aad,
    });
    expect(fresh.name).toBe(v2.name);
    const [oldPlain] = await client.decrypt({
      name,
      ciphertext: old.ciphertext ?? '',
      additionalAuthenticatedData: aad,
    });
    expect(Buffer.from(oldPlain.plaintext ?? '').toString()).toBe('before rotation');
    expect(oldPlain.usedPrimary).toBe(false);
    const [freshPlain] = await client.decrypt({
      name,
      ciphertext: fresh.ciphertext ?? '',
      additionalAuthenticatedData: aad,
    });
    expect(freshPlain.usedPrimary).toBe(true);
  });

  it('a destroyed version can no longer decrypt (crypto-shredding), nor be made primary or restored', async () => {
    const name = await createKey();
    const [old] = await client.encrypt({
      name,
      plaintext: Buffer.from('shred me'),
      additionalAuthenticatedData: aad,
    });
    await client.createCryptoKeyVersion({ parent: name, cryptoKeyVersion: {} });
    await client.updateCryptoKeyPrimaryVersion({ name, cryptoKeyVersionId: '2' });
    const [destroyed] = await client.destroyCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/1` });
    expect(destroyed.state).toBe('DESTROYED');
    expect(destroyed.destroyEventTime).toBeTruthy();

    expect(
      await codeOf(
        client.decrypt({ name, ciphertext: old.ciphertext ?? '', additionalAuthenticatedData: aad }),
      ),
    ).toBe(9);
    expect(
      await codeOf(client.encrypt({ name: `${name}/cryptoKeyVersions/1`, plaintext: Buffer.from('x') })),
    ).toBe(9);
    expect(await codeOf(client.updateCryptoKeyPrimaryVersion({ name, cryptoKeyVersionId: '1' }))).toBe(9);
    expect(await codeOf(client.restoreCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/1` }))).toBe(9);
    const [enabled] = await client.listCryptoKeyVersions({ parent: name, filter: 'state=ENABLED' });
    expect(enabled.map((v) => v.name)).toEqual([`${name}/cryptoKeyVersions/2`]);

    // Destroying every version (deleting a workspace) leaves the key unable to encrypt.
    await client.destroyCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/2` });
    expect(await codeOf(client.encrypt({ name, plaintext: Buffer.from('x') }))).toBe(9);
  });

  it('with a destroy delay, a scheduled version is unusable at once and can be restored before the delay ends', async () => {
    const delayed = await startKmsEmulator(ctx, { destroyDelayMs: 60_000 });
    const kms = clientFor(delayed.address);
    try {
      const name = await createKey(kms);
      const [encrypted] = await kms.encrypt({ name, plaintext: Buffer.from('keep me') });
      const version = `${name}/cryptoKeyVersions/1`;
      const [scheduled] = await kms.destroyCryptoKeyVersion({ name: version });
      expect(scheduled.state).toBe('DESTROY_SCHEDULED');
      expect(Number(scheduled.destroyTime?.seconds) * 1000).toBeGreaterThan(Date.now() + 50_000);
      expect(await codeOf(kms.decrypt({ name, ciphertext: encrypted.ciphertext ?? '' }))).toBe(9);

      expect((await kms.restoreCryptoKeyVersion({ name: version }))[0].state).toBe('DISABLED');
      await kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name: version, state: 'ENABLED' },
        updateMask: { paths: ['state'] },
      });
      const [decrypted] = await kms.decrypt({ name, ciphertext: encrypted.ciphertext ?? '' });
      expect(Buffer.from(decrypted.plaintext ?? '').toString()).toBe('keep me');
    } finally {
      await kms.close();
      await delayed.stop();
    }
  });
});

describe('Cloud KMS emulator: faults', () => {
  it('fails a call with an injected code, and the client retries a transient UNAVAILABLE on its own', async () => {
    const name = await createKey();
    ctx.faults.add({ service: 'kms', method: 'Encrypt', code: 7, count: 1 });
    expect(await codeOf(client.encrypt({ name, plaintext: Buffer.from('x') }))).toBe(7);

    const before = ctx.stats.snapshot().kms?.Encrypt ?? 0;
    ctx.faults.add({ service: 'kms', method: 'Encrypt', code: 14, count: 1 });
    await client.encrypt({ name, plaintext: Buffer.from('x') });
    // KeyManagementServiceClient retries UNAVAILABLE for Encrypt: two calls reached the emulator.
    expect((ctx.stats.snapshot().kms?.Encrypt ?? 0) - before).toBe(2);
  });
});
