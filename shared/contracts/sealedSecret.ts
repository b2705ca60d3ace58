import { z } from 'zod';

const Base64 = z.base64();

/**
 * A value under envelope encryption (shared/domain/envelope.ts), as stored in
 * Firestore: AES-256-GCM ciphertext under a random data key, and that data key
 * wrapped by the workspace's KMS key. Nothing here is secret on its own; every
 * binary field is standard base64.
 */
export const SealedSecret = z.strictObject({
  /** Format of this record; bumping it changes the AAD, so old and new never mix. */
  version: z.literal(1),
  algorithm: z.literal('AES-256-GCM'),
  ciphertext: Base64,
  /** 96-bit GCM nonce. */
  iv: Base64.refine((s) => Buffer.from(s, 'base64').length === 12, 'iv must be 12 bytes'),
  /** 128-bit GCM authentication tag. */
  tag: Base64.refine((s) => Buffer.from(s, 'base64').length === 16, 'tag must be 16 bytes'),
  /** The data key encrypted by the workspace KMS key (KMS ciphertext). */
  wrappedKey: Base64.min(1),
  /** The KMS key version that wrapped the data key (for audits and re-wrapping after rotation). */
  keyVersion: z.string().min(1),
});
export type SealedSecret = z.infer<typeof SealedSecret>;
