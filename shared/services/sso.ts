import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { SessionRequest, SessionResponse } from '../contracts/access.js';
import type { Workspace } from '../contracts/workspace.js';
import { FailedPreconditionError, PermissionDeniedError, UnauthenticatedError } from '../domain/errors.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

/** Sessions are short: an hour, after which the person signs in again through their IdP. */
export const SESSION_LIFETIME_SECONDS = 3600;
/** Clock skew allowed between pushrun and the identity provider when checking exp/iat/nbf. */
const CLOCK_TOLERANCE_SECONDS = 2;
const SESSION_PREFIX = 'prss_';
const SESSION_ISSUER = 'pushrun';
const SESSION_AUDIENCE = 'pushrun-session';

/**
 * Session tokens: `prss_` + an HS256 JWT. The key is derived from the platform
 * secret with its own purpose label, so a run token can never pass as a session
 * (and vice versa). The prefix lets log redaction and scanners spot them.
 */
export class SessionTokens {
  private readonly key: Uint8Array;
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('pushrun session token v1').digest();
  }

  async issue(
    claims: { workspace: string; memberId: string },
    now: Date,
  ): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + SESSION_LIFETIME_SECONDS;
    const jwt = await new SignJWT({ ws: claims.workspace })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(SESSION_ISSUER)
      .setAudience(SESSION_AUDIENCE)
      .setSubject(claims.memberId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token: SESSION_PREFIX + jwt, expiresAt: new Date(exp * 1000) };
  }

  /** The workspace and member of a valid, unexpired session token, or null. */
  async verify(
    token: string,
    now: Date = new Date(),
  ): Promise<{ workspace: string; memberId: string } | null> {
    if (!token.startsWith(SESSION_PREFIX)) return null;
    try {
      const { payload } = await jwtVerify(token.slice(SESSION_PREFIX.length), this.key, {
        issuer: SESSION_ISSUER,
        audience: SESSION_AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      const ws = payload.ws;
      if (typeof ws !== 'string' || typeof payload.sub !== 'string') return null;
      return { workspace: ws, memberId: payload.sub };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null;
      throw err;
    }
  }
}

const IdTokenClaims = z.object({
  email: z.email(),
  // Some issuers send the string "true"; anything else is not a verified address.
  email_verified: z
    .union([z.boolean(), z.literal('true').transform(() => true), z.literal('false').transform(() => false)])
    .optional(),
});

export interface IdTokenVerifierOptions {
  issuer: string;
  jwksUri: string;
  audience: string;
}

/** Verifies OIDC ID tokens: signature against the issuer's JWKS, iss, aud, exp; returns the verified e-mail. */
export class IdTokenVerifier {
  private readonly jwks: JWTVerifyGetKey;
  constructor(private readonly opts: IdTokenVerifierOptions) {
    // jose caches the key set and refetches on an unknown kid (key rotation at the IdP).
    this.jwks = createRemoteJWKSet(new URL(opts.jwksUri));
  }

  async verify(idToken: string, now: Date): Promise<{ email: string }> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('the ID token has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new UnauthenticatedError(`the ID token's ${err.claim} claim is not accepted`);
      }
      if (err instanceof joseErrors.JOSEError) throw new UnauthenticatedError('the ID token is not valid');
      throw err;
    }
    const claims = IdTokenClaims.safeParse(payload);
    if (!claims.success) throw new UnauthenticatedError('the ID token carries no e-mail address');
    if (claims.data.email_verified !== true) {
      throw new UnauthenticatedError('the ID token’s e-mail address is not verified');
    }
    return { email: claims.data.email.toLowerCase() };
  }
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** True when the workspace restricts e-mail domains and this address is outside them. */
export function outsideAllowedDomains(workspace: Workspace, email: string): boolean {
  const domains = workspace.settings.allowedEmailDomains ?? [];
  return domains.length > 0 && !domains.includes(emailDomain(email));
}

export function restrictsDomains(workspace: Workspace): boolean {
  return (workspace.settings.allowedEmailDomains ?? []).length > 0;
}

export interface SsoDeps {
  workspaces: WorkspaceStore;
  access: AccessStore;
  sessions: SessionTokens;
  idTokens: IdTokenVerifier | undefined;
}

/**
 * Exchanges an ID token for a session. The workspace and member must exist and
 * be active, and the address must be inside the workspace's allowed domains —
 * an invitation does not override the restriction. Unknown workspace and
 * unknown member answer alike, so sign-in is no membership oracle.
 */
export async function signIn(
  deps: SsoDeps,
  req: SessionRequest,
  now: Date,
): Promise<{ response: SessionResponse; workspaceExists: boolean }> {
  if (!deps.idTokens)
    throw new FailedPreconditionError('single sign-on is not configured (PUSHRUN_SSO_AUDIENCE)');
  const { email } = await deps.idTokens.verify(req.idToken, now);
  const workspace = await deps.workspaces.getWorkspace(req.workspace);
  const noAccess = () => new PermissionDeniedError(`${email} may not sign in to workspace ${req.workspace}`);
  if (!workspace) throw noAccess();
  if (outsideAllowedDomains(workspace, email)) {
    throw new PermissionDeniedError(
      `workspace ${req.workspace} allows sign-in only from its own e-mail domains`,
    );
  }
  const member = await deps.workspaces.findMemberByEmail(req.workspace, email);
  if (!member?.active) throw noAccess();
  const session = await deps.sessions.issue({ workspace: req.workspace, memberId: member.id }, now);
  return {
    workspaceExists: true,
    response: {
      sessionToken: session.token,
      expiresAt: session.expiresAt.toISOString(),
      member: { id: member.id, email: member.email, role: member.role },
    },
  };
}
