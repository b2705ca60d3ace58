import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The emulator's ciphertext: opaque to callers like Google's, but carrying which key
 * version produced it, so Decrypt by crypto key name finds the version after a
 * rotation.
 *
 *   [format 0x01][version handle, 16 bytes][IV, 12 bytes][AES-256-GCM ciphertext][tag, 16 bytes]
 *
 * The handle is a random per-version id rather than the version number, so a
 * ciphertext copied to another crypto key does not name a version there.
 */
const FORMAT = 0x01;
export const HANDLE_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + HANDLE_BYTES + IV_BYTES;
export const CIPHERTEXT_OVERHEAD = HEADER_BYTES + TAG_BYTES;

export function seal(handle: Buffer, key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), handle, iv, body, cipher.getAuthTag()]);
}

/** The version handle a ciphertext names, or undefined if it is not one of ours. */
export function handleOf(ciphertext: Buffer): Buffer | undefined {
  if (ciphertext.length < CIPHERTEXT_OVERHEAD || ciphertext[0] !== FORMAT) return undefined;
  return ciphertext.subarray(1, 1 + HANDLE_BYTES);
}

/** The plaintext, or undefined when authentication fails (wrong key, altered data or AAD). */
export function open(key: Buffer, ciphertext: Buffer, aad: Buffer): Buffer | undefined {
  const iv = ciphertext.subarray(1 + HANDLE_BYTES, HEADER_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  const body = ciphertext.subarray(HEADER_BYTES, ciphertext.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}
