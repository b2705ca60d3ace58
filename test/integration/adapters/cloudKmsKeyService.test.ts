import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import { CloudKmsKeyService, workspaceKeyId } from '../../../shared/adapters/gcp/cloudKmsKeyService.js';
import { createKmsClient } from '../../../shared/adapters/gcp/kmsClient.js';
import { InvalidArgumentError, NotFoundError, RetryableError } from '../../../shared/domain/errors.js';

const PROJECT = 'pushrun-platform';
const LOCATION = 'europe-west1';

let emulators: StartedEmulators;
let control: EmulatorControl;
let client: KeyManagementServiceClient;
let keys: CloudKmsKeyService;

const aad = Buffer.from('pushrun:v1:acme:credential%2Fprod');
const dataKey = Buffer.alloc(32, 7);

beforeAll(async () => {
  emulators = await startEmulators();
  control = new EmulatorControl(emulators.endpoints.control);
  client = await createKmsClient({ endpoint: emulators.endpoints.kms });
  // The key ring does not exist yet: the first ensure creates it, as `npm start` needs.
  keys = new CloudKmsKeyService({ client, projectId: PROJECT, location: LOCATION, keyRing: 'workspaces' });
});

afterEach(async () => {
  await control.clearFaults();
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

async function kmsCalls(method: string): Promise<number> {
  return (await control.stats()).kms?.[method] ?? 0;
}

describe('CloudKmsKeyService', () => {
  it('ensureWorkspaceKey creates the key ring and the key once; repeated and concurrent calls return the same key', async () => {
    const [a, b, c] = await Promise.all([
      keys.ensureWorkspaceKey('acme'),
      keys.ensureWorkspaceKey('acme'),
      keys.ensureWorkspaceKey('acme'),
    ]);
    expect(a).toBe(`projects/${PROJECT}/locations/${LOCATION}/keyRings/workspaces/cryptoKeys/ws-acme`);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(await keys.ensureWorkspaceKey('acme')).toBe(a);
    const [versions] = await client.listCryptoKeyVersions({ parent: a });
    expect(versions).toHaveLength(1);
  });

  it('a 63-character workspace slug gets a valid key id distinct from every plain one', async () => {
    const slug = `w${'x'.repeat(62)}`;
    const id = workspaceKeyId(slug);
    expect(id).toMatch(/^[a-zA-Z0-9_-]{63}$/);
    expect(workspaceKeyId('acme')).toBe('ws-acme');
    await keys.ensureWorkspaceKey(slug);
    const { wrapped } = await keys.wrap(slug, dataKey, aad);
    expect((await keys.unwrap(slug, wrapped, aad)).equals(dataKey)).toBe(true);
  });

  it('wraps and unwraps with the AAD; another AAD or workspace does not unwrap; a workspace without a key is NotFound', async () => {
    await keys.ensureWorkspaceKey('acme');
    await keys.ensureWorkspaceKey('globex');
    const { wrapped, keyVersion } = await keys.wrap('acme', dataKey, aad);
    expect(keyVersion).toMatch(/\/cryptoKeys\/ws-acme\/cryptoKeyVersions\/1$/);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect((await keys.unwrap('acme', wrapped, aad)).equals(dataKey)).toBe(true);

    const wrongAad = await failure(
      keys.unwrap('acme', wrapped, Buffer.from('pushrun:v1:acme:credential%2Fother')),
    );
    expect(wrongAad).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(keys.unwrap('globex', wrapped, aad))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(keys.wrap('initech', dataKey, aad))).toBeInstanceOf(NotFoundError);
  });

  it('rotation: new wraps use the new primary version, earlier wrapped keys still unwrap', async () => {
    await keys.ensureWorkspaceKey('rotating');
    const before = await keys.wrap('rotating', dataKey, aad);
    const version = await keys.rotateWorkspaceKey('rotating');
    expect(version).toMatch(/\/cryptoKeys\/ws-rotating\/cryptoKeyVersions\/2$/);
    const after = await keys.wrap('rotating', dataKey, aad);
    expect(after.keyVersion).toBe(version);
    expect(before.keyVersion).not.toBe(version);
    expect((await keys.unwrap('rotating', before.wrapped, aad)).equals(dataKey)).toBe(true);
    expect((await keys.unwrap('rotating', after.wrapped, aad)).equals(dataKey)).toBe(true);
  });

  it('destroy shreds every version: nothing unwraps; destroying again or a key never made resolves; a re-created workspace gets a fresh primary', async () => {
    await keys.ensureWorkspaceKey('doomed');
    const v1 = await keys.wrap('doomed', dataKey, aad);
    await keys.rotateWorkspaceKey('doomed');
    const v2 = await keys.wrap('doomed', dataKey, aad);
    await keys.destroyWorkspaceKey('doomed');
    await keys.destroyWorkspaceKey('doomed');
    await keys.destroyWorkspaceKey('never-made');
    for (const { wrapped } of [v1, v2]) {
      expect(await failure(keys.unwrap('doomed', wrapped, aad))).toBeInstanceOf(InvalidArgumentError);
    }

    // A new workspace reusing the slug can encrypt again, and the old data stays shredded.
    await keys.ensureWorkspaceKey('doomed');
    const v3 = await keys.wrap('doomed', dataKey, aad);
    expect(v3.keyVersion).toMatch(/cryptoKeyVersions\/3$/);
    expect((await keys.unwrap('doomed', v3.wrapped, aad)).equals(dataKey)).toBe(true);
    expect(await failure(keys.unwrap('doomed', v1.wrapped, aad))).toBeInstanceOf(InvalidArgumentError);
  });

  it('absorbs one UNAVAILABLE; a lasting outage or throttling is a RetryableError (3 attempts, or 1 for RESOURCE_EXHAUSTED)', async () => {
    await keys.ensureWorkspaceKey('acme');
    const { wrapped } = await keys.wrap('acme', dataKey, aad);

    await control.addFault({ service: 'kms', method: 'Decrypt', code: 14, count: 1 });
    expect((await keys.unwrap('acme', wrapped, aad)).equals(dataKey)).toBe(true);

    await control.addFault({ service: 'kms', method: 'Decrypt', code: 14 });
    let before = await kmsCalls('Decrypt');
    expect(await failure(keys.unwrap('acme', wrapped, aad))).toBeInstanceOf(RetryableError);
    expect(await kmsCalls('Decrypt')).toBe(before + 3);
    await control.clearFaults();

    await control.addFault({ service: 'kms', method: 'Encrypt', code: 8 });
    before = await kmsCalls('Encrypt');
    expect(await failure(keys.wrap('acme', dataKey, aad))).toBeInstanceOf(RetryableError);
    expect(await kmsCalls('Encrypt')).toBe(before + 1);
  });

  it('refuses a plaintext over 64 KiB before calling KMS', async () => {
    expect(await failure(keys.wrap('acme', Buffer.alloc(64 * 1024 + 1), aad))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
