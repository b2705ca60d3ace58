import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { PermissionDeniedError, UnauthenticatedError } from '../domain/errors.js';
import type { HttpRequest } from '../http/types.js';
import { bearerToken } from './authenticate.js';

export interface InternalAuthOptions {
  issuer: string;
  jwksUri: string;
  /** The URL the caller was told to call: Cloud Tasks and Scheduler put it in `aud`. */
  audience: string;
  /** The only identity allowed to call (the tasks invoker service account). */
  serviceAccountEmail: string;
}

/**
 * Verifies the Google-signed OIDC token Cloud Tasks / Cloud Scheduler attach
 * (locally: the emulator's issuer): signature against the issuer's JWKS,
 * issuer, audience, expiry, and that it was minted for the expected service
 * account with a verified e-mail. Throws UnauthenticatedError (401) or
 * PermissionDeniedError (403, the right issuer but the wrong identity).
 */
export function createInternalAuth(opts: InternalAuthOptions): (req: HttpRequest) => Promise<void> {
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(opts.jwksUri), { cacheMaxAge: 3600_000 });
  return async (req) => {
    const token = bearerToken(req);
    if (token === null) throw new UnauthenticatedError('missing OIDC token');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: ['RS256'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw new UnauthenticatedError('invalid OIDC token');
      throw err;
    }
    if (payload.email !== opts.serviceAccountEmail || payload.email_verified === false) {
      throw new PermissionDeniedError('caller is not the configured tasks service account');
    }
  };
}
