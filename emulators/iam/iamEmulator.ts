import { ApiError, invalidArgument } from '../core/errors.js';
import { asString, parseDuration, timestamp } from '../core/protoJson.js';
import { type RestRoute, startRestServer } from '../core/rest.js';
import type { EmulatorContext, RunningService } from '../core/types.js';
import type { IamState } from './iamState.js';

const MAX_TOKEN_LIFETIME_S = 3600;

/**
 * Resource Manager v3 (`projects.get`, `projects.testIamPermissions`), IAM admin v1
 * (`projects.serviceAccounts.get`, `projects.serviceAccounts.testIamPermissions`) and IAM Credentials v1
 * (`generateAccessToken`, `generateIdToken`) on one REST server:
 * their paths do not overlap, so one address serves both clients.
 */
export async function startIamEmulator(ctx: EmulatorContext, iam: IamState): Promise<RunningService> {
  const routes: RestRoute[] = [
    {
      method: 'GetProject',
      verb: 'GET',
      path: '/v3/{name=projects/*}',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const id = asString(req.name).slice('projects/'.length);
        const project = iam.findProject(id);
        if (
          !project ||
          !iam.hasPermission(principal.member, 'resourcemanager.projects.get', { projectId: id })
        ) {
          throw new ApiError(
            7,
            `Permission 'resourcemanager.projects.get' denied on resource 'projects/${id}' (or it may not exist).`,
          );
        }
        return {
          name: `projects/${project.projectNumber}`,
          projectId: project.projectId,
          state: 1,
          displayName: project.projectId,
          createTime: project.createTime,
          etag: `W/"${project.projectNumber}"`,
        };
      },
    },
    {
      method: 'TestIamPermissions',
      verb: 'POST',
      path: '/v3/{resource=projects/*}:testIamPermissions',
      body: '*',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const id = asString(req.resource).slice('projects/'.length);
        const asked = askedPermissions(req.permissions);
        // Unknown projects answer an empty subset, as the real API does for a caller without access.
        const held = iam.findProject(id)
          ? asked.filter((p) => iam.hasPermission(principal.member, p, { projectId: id }))
          : [];
        return { permissions: held };
      },
    },
    {
      // IAM admin v1 `projects.serviceAccounts.testIamPermissions` (iam.googleapis.com in
      // production; its path does not overlap the others, so this server answers it too).
      // The RPC is also named TestIamPermissions in google.iam.admin.v1, hence in faults and stats.
      method: 'TestIamPermissions',
      verb: 'POST',
      path: '/v1/{resource=projects/*/serviceAccounts/*}:testIamPermissions',
      body: '*',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(asString(req.resource));
        if (!m)
          throw invalidArgument(`Invalid service account name '${asString(req.resource)}'.`, 'resource');
        const asked = askedPermissions(req.permissions);
        const sa = iam.findServiceAccount(m[2]!);
        // As for projects: an unknown account (or one in another project than named) grants nothing.
        const known = sa && (m[1] === '-' || iam.findProject(m[1]!)?.projectId === sa.projectId);
        const held = known
          ? asked.filter((p) =>
              iam.hasPermission(principal.member, p, { projectId: sa.projectId, serviceAccount: sa.email }),
            )
          : [];
        return { permissions: held };
      },
    },
    {
      // IAM admin v1 `projects.serviceAccounts.get` (google.iam.admin.v1 GetServiceAccount).
      method: 'GetServiceAccount',
      verb: 'GET',
      path: '/v1/{name=projects/*/serviceAccounts/*}',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(asString(req.name));
        if (!m) throw invalidArgument(`Invalid service account name '${asString(req.name)}'.`, 'name');
        const [projectRef, email] = [m[1]!, m[2]!];
        const sa = iam.findServiceAccount(email);
        const inProject =
          sa && (projectRef === '-' || iam.findProject(projectRef)?.projectId === sa.projectId);
        const permission = 'iam.serviceAccounts.get';
        if (
          !sa ||
          !inProject ||
          !iam.hasPermission(principal.member, permission, { projectId: sa.projectId, serviceAccount: email })
        ) {
          // NOT_FOUND only to a caller who may read the named project's accounts; anyone else
          // gets PERMISSION_DENIED whether or not the account exists (no existence oracle).
          const project = projectRef === '-' ? undefined : iam.findProject(projectRef);
          if (project && iam.hasPermission(principal.member, permission, { projectId: project.projectId })) {
            throw new ApiError(5, `Unknown service account`);
          }
          throw new ApiError(7, `Permission '${permission}' denied on resource (or it may not exist).`, [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'IAM_PERMISSION_DENIED',
              domain: 'iam.googleapis.com',
              metadata: { permission },
            },
          ]);
        }
        // proto3 JSON: an empty description is omitted, as Google does.
        return {
          name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
          projectId: sa.projectId,
          uniqueId: sa.uniqueId,
          email: sa.email,
          ...(sa.displayName ? { displayName: sa.displayName } : {}),
          ...(sa.description ? { description: sa.description } : {}),
          oauth2ClientId: sa.uniqueId,
        };
      },
    },
    {
      method: 'GenerateAccessToken',
      verb: 'POST',
      path: '/v1/{name=projects/*/serviceAccounts/*}:generateAccessToken',
      body: '*',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const target = targetAccount(req.name);
        const scope = Array.isArray(req.scope) ? (req.scope as unknown[]).map(String) : [];
        if (scope.length === 0) throw invalidArgument('Scope is required.', 'scope');
        if (Array.isArray(req.delegates) && req.delegates.length > 0) {
          throw new ApiError(12, 'Delegation chains are not supported by the emulator.');
        }
        const lifetime = parseDuration(req.lifetime, 'lifetime') ?? 3600;
        if (lifetime <= 0 || lifetime > MAX_TOKEN_LIFETIME_S) {
          throw invalidArgument(
            `The lifetime must be between 1s and ${MAX_TOKEN_LIFETIME_S}s; got ${lifetime}s.`,
            'lifetime',
          );
        }
        authorizeOnAccount(iam, principal.member, 'iam.serviceAccounts.getAccessToken', target);
        const minted = iam.mintAccessToken(target, scope, lifetime);
        return { accessToken: minted.token, expireTime: timestamp(minted.expiresAtMs) };
      },
    },
    {
      method: 'GenerateIdToken',
      verb: 'POST',
      path: '/v1/{name=projects/*/serviceAccounts/*}:generateIdToken',
      body: '*',
      handler: async (req, call) => {
        const principal = iam.authenticate(call.authorization);
        const target = targetAccount(req.name);
        const audience = asString(req.audience);
        if (!audience) throw invalidArgument('Audience is required.', 'audience');
        authorizeOnAccount(iam, principal.member, 'iam.serviceAccounts.getOpenIdToken', target);
        const token = await ctx.oidc.signIdToken({ audience, email: target });
        return { token };
      },
    },
  ];
  const server = await startRestServer(ctx, 'iam', routes);
  return { address: server.address, stop: server.stop };
}

/** The `permissions` of a TestIamPermissionsRequest, each a well-formed permission name. */
function askedPermissions(value: unknown): string[] {
  const asked = Array.isArray(value) ? (value as unknown[]).map(String) : [];
  for (const p of asked) {
    if (!/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/.test(p)) {
      throw invalidArgument(`Permission ${p} is not valid.`, 'permissions');
    }
  }
  return asked;
}

function targetAccount(name: unknown): string {
  const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(asString(name));
  if (!m) throw invalidArgument(`Invalid service account name '${asString(name)}'.`, 'name');
  return m[2]!;
}

function authorizeOnAccount(iam: IamState, member: string, permission: string, email: string): void {
  const sa = iam.findServiceAccount(email);
  if (!sa) throw new ApiError(5, `Not found; Gaia id not found for email ${email}`);
  if (!iam.hasPermission(member, permission, { projectId: sa.projectId, serviceAccount: email })) {
    throw new ApiError(7, `Permission '${permission}' denied on resource (or it may not exist).`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission },
      },
    ]);
  }
}
