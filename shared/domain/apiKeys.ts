import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomId } from './ids.js';

/**
 * API keys look like `prk_<workspace>_<keyId>_<secret>`. The workspace and key
 * id let the server find the stored hash with one document read; the secret is
 * 160 random bits. Only the SHA-256 of the whole key is stored: the key has
 * enough entropy that a slow password hash would add latency and no safety.
 * The recognisable prefix lets secret scanners (and our own tests) spot leaks.
 */
const KEY_PATTERN = /^prk_([a-z][a-z0-9-]{0,62})_([0-9a-z]{12})_([0-9a-f]{40})$/;

export interface ParsedApiKey {
  workspace: string;
  keyId: string;
}

export function generateApiKey(workspace: string): { key: string; keyId: string; hash: string } {
  const keyId = randomId(12);
  const key = `prk_${workspace}_${keyId}_${randomBytes(20).toString('hex')}`;
  return { key, keyId, hash: hashApiKey(key) };
}

export function parseApiKey(key: string): ParsedApiKey | null {
  const m = KEY_PATTERN.exec(key);
  if (!m) return null;
  return { workspace: m[1] as string, keyId: m[2] as string };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && ba.length > 0 && timingSafeEqual(ba, bb);
}

/** Constant-time comparison of a presented secret with a configured one. */
export function secretsEqual(presented: string, expected: string): boolean {
  return hashesEqual(hashApiKey(presented), hashApiKey(expected));
}
