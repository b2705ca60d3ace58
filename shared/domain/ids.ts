import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Lowercase slug used for every user-chosen object name (workspaces, pools, deployments, …). */
export const Slug = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,62}$/,
    'must be a lowercase slug: a letter, then letters, digits or hyphens, at most 63',
  );
export type Slug = z.infer<typeof Slug>;

// Crockford base32: sortable as plain strings, no ambiguous letters.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeTime(ms: number, length: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function randomChars(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32];
  return out;
}

let lastMs = -1;
let lastRandom = '';

/**
 * A ULID-like id: 10 chars of milliseconds then 16 random chars, so ids sort by
 * creation time as strings (Firestore orders documents by id). Ids made in the
 * same millisecond by this process stay ordered by incrementing the random part.
 */
export function newSortableId(now: number = Date.now()): string {
  if (now === lastMs) {
    lastRandom = incrementBase32(lastRandom);
  } else {
    lastMs = now;
    lastRandom = randomChars(16);
  }
  return encodeTime(now, 10) + lastRandom;
}

function incrementBase32(s: string): string {
  const chars = s.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const idx = ALPHABET.indexOf(chars[i] as string);
    if (idx < 31) {
      chars[i] = ALPHABET[idx + 1] as string;
      return chars.join('');
    }
    chars[i] = '0';
  }
  return randomChars(s.length);
}

export const RunId = z.string().regex(/^[0-9a-z-]{8,64}$/, 'must be a run id');

/** Random lowercase base32 id of `length` characters. */
export function randomId(length: number): string {
  return randomChars(length);
}
