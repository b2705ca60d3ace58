import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateApiKey,
  hashApiKey,
  hashesEqual,
  parseApiKey,
  secretsEqual,
} from '../../../shared/domain/apiKeys.js';
import { newSortableId, Slug } from '../../../shared/domain/ids.js';
import { redact } from '../../../shared/logging.js';

describe('sortable ids', () => {
  it('sort by creation time as plain strings, also within one millisecond', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((t) =>
      newSortableId(t),
    );
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-z]{26}$/);
  });
});

describe('slugs', () => {
  it.each([
    ['acme', true],
    ['a', true],
    ['a-1-b', true],
    [`a${'b'.repeat(62)}`, true],
    [`a${'b'.repeat(63)}`, false],
    ['1abc', false],
    ['Acme', false],
    ['ac_me', false],
    ['', false],
  ])('%s valid: %s', (value, ok) => {
    expect(Slug.safeParse(value).success).toBe(ok);
  });
});

describe('api keys', () => {
  it('round-trips workspace and key id, and only the hash of the whole key matches', () => {
    const { key, keyId, hash } = generateApiKey('acme-corp');
    expect(parseApiKey(key)).toEqual({ workspace: 'acme-corp', keyId });
    expect(hashesEqual(hash, hashApiKey(key))).toBe(true);
    const flipped = key.endsWith('0') ? '1' : '0';
    expect(hashesEqual(hash, hashApiKey(`${key.slice(0, -1)}${flipped}`))).toBe(false);
    expect(hash).not.toContain(key.slice(-40));
  });

  it.each(['', 'prk_', 'Bearer x', 'prk_Acme_abcdefghjkmn_' + '0'.repeat(40), 'prk_acme_short_00'])(
    'rejects %j',
    (k) => {
      expect(parseApiKey(k)).toBeNull();
    },
  );

  it('compares secrets in constant time by digest', () => {
    expect(secretsEqual('a'.repeat(40), 'a'.repeat(40))).toBe(true);
    expect(secretsEqual('a'.repeat(40), 'b'.repeat(40))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
  });
});

// Made at run time: the repository holds no private key, not even a test one.
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
  .trim();

describe('log redaction', () => {
  it.each([
    [`key ${generateApiKey('acme').key} leaked`, 'key [REDACTED] leaked'],
    [PEM, '[REDACTED]'],
    [`a key: ${PEM} in a line`, 'a key: [REDACTED] in a line'],
    ['token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJydW4ifQ.c2lnbmF0dXJlLXZhbHVl', 'token [REDACTED]'],
    ['nothing secret here', 'nothing secret here'],
  ])('redacts %j', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});
