import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * Run tokens: what a run container holds to report on its own run. An HS256 JWT
 * signed with a key derived from the platform secret (a distinct purpose label,
 * so the same secret never signs two kinds of token), scoped to one workspace,
 * run and attempt, and short-lived. The API additionally refuses it once the run
 * is terminal or has moved on to another attempt.
 */
const ISSUER = 'pushrun';
const AUDIENCE = 'pushrun-run';

export interface RunTokenClaims {
  workspace: string;
  runId: string;
  attempt: number;
}

function keyFrom(secret: string): Uint8Array {
  return createHmac('sha256', secret).update('pushrun run token v1').digest();
}

export class RunTokenSigner {
  private readonly key: Uint8Array;
  constructor(secret: string) {
    this.key = keyFrom(secret);
  }

  /** Valid from now for `lifetimeSeconds` (the job's timeout plus a margin). */
  sign(claims: RunTokenClaims, now: Date, lifetimeSeconds: number): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ ws: claims.workspace, run: claims.runId, att: claims.attempt })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`run:${claims.runId}`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetimeSeconds)
      .sign(this.key);
  }

  /** Returns the claims of a valid, unexpired token, or null. */
  async verify(token: string, now: Date = new Date()): Promise<RunTokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      const { ws, run, att } = payload as { ws?: unknown; run?: unknown; att?: unknown };
      if (typeof ws !== 'string' || typeof run !== 'string' || typeof att !== 'number') return null;
      return { workspace: ws, runId: run, attempt: att };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null;
      throw err;
    }
  }
}
