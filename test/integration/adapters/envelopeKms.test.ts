import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import { CloudKmsKeyService } from '../../../shared/adapters/gcp/cloudKmsKeyService.js';
import { createKmsClient } from '../../../shared/adapters/gcp/kmsClient.js';
import type { SealedSecret } from '../../../shared/contracts/sealedSecret.js';
import { DataKeyCache, openSecret, sealSecret } from '../../../shared/domain/envelope.js';
import { InvalidArgumentError } from '../../../shared/domain/errors.js';

let emulators: StartedEmulators;
let control: EmulatorControl;
let client: KeyManagementServiceClient;
let keys: CloudKmsKeyService;

const secret = Buffer.from(JSON.stringify({ type: 'service_account', private_key: 'PRIVATE-KEY-MATERIAL' }));

beforeAll(async () => {
  emulators = await startEmulators();
  control = new EmulatorControl(emulators.endpoints.control);
  client = await createKmsClient({ endpoint: emulators.endpoints.kms });
  keys = new CloudKmsKeyService({
    client,
    projectId: 'pushrun-platform',
    location: 'europe-west1',
    keyRing: 'ws',
  });
  await keys.ensureWorkspaceKey('acme');
  await keys.ensureWorkspaceKey('globex');
});

afterAll(async () => {
  await client?.close();
  await emulators?.stop();
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

async function decryptCalls(): Promise<number> {
  return (await control.stats()).kms?.Decrypt ?? 0;
}

function flip(b64: string, index: number): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return bytes.toString('base64');
}

describe('envelope encryption over the KMS emulator', () => {
  it('round-trips; two seals differ; copies to another workspace or object and tampered fields do not open', async () => {
    const sealed = await sealSecret(keys, 'acme', 'credential/prod', secret);
    expect(sealed.keyVersion).toMatch(/cryptoKeys\/ws-acme\/cryptoKeyVersions\/1$/);
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE-KEY-MATERIAL');
    expect((await openSecret(keys, 'acme', 'credential/prod', sealed)).equals(secret)).toBe(true);
    expect((await sealSecret(keys, 'acme', 'credential/prod', secret)).ciphertext).not.toBe(
      sealed.ciphertext,
    );

    const attempts: [string, string, SealedSecret][] = [
      ['globex', 'credential/prod', sealed],
      ['acme', 'credential/staging', sealed],
      ['acme', 'credential/prod', { ...sealed, ciphertext: flip(sealed.ciphertext, 5) }],
      ['acme', 'credential/prod', { ...sealed, tag: flip(sealed.tag, 0) }],
    ];
    for (const [ws, objectId, value] of attempts) {
      const err = await failure(openSecret(keys, ws, objectId, value));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(String((err as Error).message)).not.toContain('PRIVATE');
    }
  });

  it('the data-key cache turns repeated opens into one KMS Decrypt, and invalidate(ws) after destroying the key makes them fail', async () => {
    await keys.ensureWorkspaceKey('cached');
    const cache = new DataKeyCache();
    const sealed = await sealSecret(keys, 'cached', 'credential/prod', secret);
    const before = await decryptCalls();
    for (let i = 0; i < 5; i++) {
      expect((await openSecret(keys, 'cached', 'credential/prod', sealed, cache)).equals(secret)).toBe(true);
    }
    expect((await decryptCalls()) - before).toBe(1);
    // Without the cache every open is a Decrypt.
    await openSecret(keys, 'cached', 'credential/prod', sealed);
    expect((await decryptCalls()) - before).toBe(2);

    await keys.destroyWorkspaceKey('cached');
    cache.invalidate('cached');
    expect(await failure(openSecret(keys, 'cached', 'credential/prod', sealed, cache))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect((await decryptCalls()) - before).toBe(3);
  });

  it('values sealed before a rotation still open after it, and new seals use the new version', async () => {
    await keys.ensureWorkspaceKey('rotating');
    const old = await sealSecret(keys, 'rotating', 'secret/db', secret);
    const version = await keys.rotateWorkspaceKey('rotating');
    const fresh = await sealSecret(keys, 'rotating', 'secret/db', secret);
    expect(fresh.keyVersion).toBe(version);
    expect((await openSecret(keys, 'rotating', 'secret/db', old)).equals(secret)).toBe(true);
    expect((await openSecret(keys, 'rotating', 'secret/db', fresh)).equals(secret)).toBe(true);
  });
});
