import { hashApiKey, hashesEqual, parseApiKey, secretsEqual } from '../domain/apiKeys.js';
import type { HttpRequest } from '../http/types.js';
import type { Logger } from '../logging.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import type { Principal } from './principal.js';

/** Writing last-used on every request would make each key a hot document; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

export interface RunTokenVerifier {
  /** Returns the run a token acts for, or null if it is not a valid, unexpired run token. */
  verify(token: string): Promise<{ workspace: string; runId: string } | null>;
}

export interface AuthenticateDeps {
  store: WorkspaceStore;
  platformAdminKey: string;
  runTokens?: RunTokenVerifier | undefined;
  logger: Logger;
  clock?: () => Date;
}

export function bearerToken(req: HttpRequest): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] as string) : null;
}

/**
 * Resolves a bearer credential to a principal: the platform admin key, an API
 * key (looked up by its id, checked against the stored hash, expiry, revocation
 * and the principal still being active), or a run token.
 */
export function createAuthenticator(deps: AuthenticateDeps) {
  const clock = deps.clock ?? (() => new Date());
  return async (req: HttpRequest): Promise<Principal | null> => {
    const token = bearerToken(req);
    if (token === null) return null;
    if (secretsEqual(token, deps.platformAdminKey)) return { kind: 'platform_admin' };

    const parsed = parseApiKey(token);
    if (parsed !== null) {
      const record = await deps.store.getApiKey(parsed.workspace, parsed.keyId);
      if (record === null || !hashesEqual(record.hash, hashApiKey(token))) return null;
      const now = clock();
      if (record.revokedAt !== undefined) return null;
      if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) return null;
      const holder =
        record.principalKind === 'member'
          ? await deps.store.getMember(parsed.workspace, record.principal)
          : await deps.store.getServiceAccount(parsed.workspace, record.principal);
      if (holder === null || !holder.active) return null;
      if (
        record.lastUsedAt === undefined ||
        now.getTime() - Date.parse(record.lastUsedAt) > TOUCH_INTERVAL_MS
      ) {
        deps.store.touchApiKey(parsed.workspace, record.id, now.toISOString()).catch((error: unknown) => {
          deps.logger.warn('could not record api key use', { keyId: record.id, error });
        });
      }
      return {
        kind: record.principalKind,
        workspace: parsed.workspace,
        id: record.principal,
        role: holder.role,
        keyId: record.id,
      };
    }

    if (deps.runTokens) {
      const run = await deps.runTokens.verify(token);
      if (run) return { kind: 'run', workspace: run.workspace, runId: run.runId };
    }
    return null;
  };
}
