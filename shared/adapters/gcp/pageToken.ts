import { InvalidArgumentError } from '../../domain/errors.js';

/** Opaque page tokens: the id of the last item of the previous page, base64url-encoded. */
export function encodePageToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ a: lastId }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'a' in parsed && typeof parsed.a === 'string')
      return parsed.a;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('invalid page token', [
    { field: 'page_token', issue: 'not a token this API issued' },
  ]);
}
