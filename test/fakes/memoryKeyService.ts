import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../../shared/domain/errors.js';
import type { KeyService } from '../../shared/ports/keyService.js';

interface Version {
  name: string;
  key: Buffer | undefined; // undefined once destroyed
}

/**
 * An in-memory KeyService for unit tests of pure envelope logic only: AES-GCM
 * per key version with the version index in the wrapped bytes. Adapter and flow
 * tests use the KMS emulator instead.
 */
export class MemoryKeyService implements KeyService {
  readonly calls = { wrap: 0, unwrap: 0 };
  private readonly keys = new Map<string, { versions: Version[]; primary: number }>();

  async ensureWorkspaceKey(workspace: string): Promise<string> {
    if (!this.keys.has(workspace)) {
      this.keys.set(workspace, { versions: [this.newVersion(workspace, 1)], primary: 0 });
    }
    return `keys/${workspace}`;
  }

  async wrap(
    workspace: string,
    plaintext: Buffer,
    aad: Buffer,
  ): Promise<{ wrapped: Buffer; keyVersion: string }> {
    this.calls.wrap += 1;
    const k = this.keyOf(workspace);
    const version = k.versions[k.primary]!;
    if (!version.key) throw new InvalidArgumentError('primary version destroyed');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', version.key, iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      wrapped: Buffer.concat([Buffer.from([k.primary]), iv, body, cipher.getAuthTag()]),
      keyVersion: version.name,
    };
  }

  async unwrap(workspace: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    this.calls.unwrap += 1;
    const version = this.keyOf(workspace).versions[wrapped[0] ?? -1];
    if (!version?.key) throw new InvalidArgumentError('does not unwrap');
    try {
      const decipher = createDecipheriv('aes-256-gcm', version.key, wrapped.subarray(1, 13));
      decipher.setAAD(aad);
      decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
      return Buffer.concat([decipher.update(wrapped.subarray(13, wrapped.length - 16)), decipher.final()]);
    } catch {
      throw new InvalidArgumentError('does not unwrap');
    }
  }

  async rotateWorkspaceKey(workspace: string): Promise<string> {
    const k = this.keyOf(workspace);
    const version = this.newVersion(workspace, k.versions.length + 1);
    k.versions.push(version);
    k.primary = k.versions.length - 1;
    return version.name;
  }

  async destroyWorkspaceKey(workspace: string): Promise<void> {
    for (const v of this.keys.get(workspace)?.versions ?? []) {
      v.key?.fill(0);
      v.key = undefined;
    }
  }

  private keyOf(workspace: string): { versions: Version[]; primary: number } {
    const k = this.keys.get(workspace);
    if (!k) throw new NotFoundError(`the key of workspace ${workspace}`);
    return k;
  }

  private newVersion(workspace: string, n: number): Version {
    return { name: `keys/${workspace}/cryptoKeyVersions/${n}`, key: randomBytes(32) };
  }
}
