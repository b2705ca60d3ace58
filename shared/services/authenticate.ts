import { hashApiKey, hashesEqual, parseApiKey, secretsEqual } from '../domain/apiKeys.js';
import { parseScimToken } from '../domain/scimTokens.js';
import type { HttpRequest } from '../http/types.js';
import type { Logger } from '../logging.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import type { Principal } from './principal.js';
import { resolveGrants } from './roles.js';
import { outsideAllowedDomains, restrictsDomains, type SessionTokens } from './sso.js';

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
  /** Teams, custom roles and SCIM tokens; without it only built-in roles apply. */
  access?: AccessStore | undefined;
  sessions?: SessionTokens | undefined;
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
 * key (looked up by its id, checked against the stored hash, expiry, revocation,
 * the principal still being active and the workspace's domain restriction), an
 * SSO session token, a SCIM token, or a run token. Teams and custom roles are
 * resolved on every request: nothing is cached, so revocation is immediate.
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
      // Everything the key's holder needs is read at once: one round trip instead of three.
      const isMember = record.principalKind === 'member';
      const [holder, memberWorkspace, teams] = await Promise.all([
        isMember
          ? deps.store.getMember(parsed.workspace, record.principal)
          : deps.store.getServiceAccount(parsed.workspace, record.principal),
        isMember ? deps.store.getWorkspace(parsed.workspace) : Promise.resolve(null),
        deps.access
          ? deps.access.teamsOf(parsed.workspace, `${record.principalKind}:${record.principal}`)
          : [],
      ]);
      if (holder === null || !holder.active) return null;
      let breakGlass = false;
      if (isMember && 'email' in holder) {
        // Under a domain restriction only owners' keys keep working (break-glass, audited).
        const workspace = memberWorkspace;
        if (workspace === null) return null;
        if (restrictsDomains(workspace)) {
          if (holder.role === 'owner') breakGlass = true;
          else if (outsideAllowedDomains(workspace, holder.email)) return null;
        }
      }
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
        auth: 'api_key',
        keyId: record.id,
        ...(breakGlass ? { breakGlass } : {}),
        ...(await resolveGrants(
          deps.access,
          parsed.workspace,
          record.principalKind,
          record.principal,
          holder.role,
          teams,
        )),
      };
    }

    if (deps.sessions && token.startsWith('prss_')) {
      const session = await deps.sessions.verify(token, clock());
      if (session === null) return null;
      const [member, workspace] = await Promise.all([
        deps.store.getMember(session.workspace, session.memberId),
        deps.store.getWorkspace(session.workspace),
      ]);
      // Deactivation, removal or a new domain restriction ends a session on its next use.
      if (member === null || !member.active || workspace === null) return null;
      if (outsideAllowedDomains(workspace, member.email)) return null;
      return {
        kind: 'member',
        workspace: session.workspace,
        id: member.id,
        role: member.role,
        auth: 'session',
        ...(await resolveGrants(deps.access, session.workspace, 'member', member.id, member.role)),
      };
    }

    const scim = parseScimToken(token);
    if (scim !== null && deps.access) {
      const stored = await deps.access.getScimToken(scim.workspace);
      if (stored === null || !hashesEqual(stored.hash, hashApiKey(token))) return null;
      return { kind: 'scim', workspace: scim.workspace };
    }

    if (deps.runTokens) {
      const run = await deps.runTokens.verify(token);
      if (run) return { kind: 'run', workspace: run.workspace, runId: run.runId };
    }
    return null;
  };
}
