import { generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import type { OidcSigner } from './types.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs an RS256 JWT with the given header extras and claims. */
export function signJwt(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** The emulator's OIDC issuer: one RSA key made at start, served as JWKS at `${issuer}/certs`. */
export class LocalOidcSigner implements OidcSigner {
  readonly jwksUri: string;

  private constructor(
    readonly issuer: string,
    private readonly kid: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    this.jwksUri = `${issuer}/certs`;
  }

  static async create(issuer: string): Promise<LocalOidcSigner> {
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    return new LocalOidcSigner(issuer, randomBytes(20).toString('hex'), privateKey, publicKey);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'iat', 'iss', 'sub'],
    };
  }

  async signIdToken(claims: {
    audience: string;
    email: string;
    lifetimeSeconds?: number;
    extra?: Record<string, unknown>;
  }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    // Extra claims come last so tests can mint tokens a verifier must refuse (an expired
    // exp, another iss, email_verified false) that are still signed by the real key.
    return signJwt(this.privateKey, this.kid, {
      iss: this.issuer,
      aud: claims.audience,
      sub: claims.email,
      email: claims.email,
      email_verified: true,
      iat: now,
      exp: now + (claims.lifetimeSeconds ?? 3600),
      ...claims.extra,
    });
  }
}
