import { z } from 'zod';
import { PageQuery } from '../contracts/common.js';
import { CreateDeploymentRequest, Deployment, UpdateDeploymentRequest } from '../contracts/deployment.js';
import {
  ApiKeyMetadata,
  CreateApiKeyRequest,
  CreatedApiKey,
  CreateMemberRequest,
  CreateServiceAccountRequest,
  Member,
  ServiceAccount,
} from '../contracts/principal.js';
import {
  CreateRunRequest,
  ListRunsQuery,
  OrchestrationResult,
  ProposeStateRequest,
  Run,
  StateHistoryEntry,
} from '../contracts/run.js';
import {
  ListLogsQuery,
  LogEntry,
  ReportTaskRunRequest,
  TaskRun,
  WriteLogsRequest,
} from '../contracts/runData.js';
import { CreateWorkPoolRequest, UpdateWorkPoolRequest, WorkPool } from '../contracts/workPool.js';
import { CreateWorkspaceRequest, UpdateWorkspaceRequest, Workspace } from '../contracts/workspace.js';
import { InvalidArgumentError } from '../domain/errors.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { CredentialStore } from '../ports/credentialStore.js';
import type { ScheduleStore } from '../ports/scheduleStore.js';
import type { SecretStore } from '../ports/secretStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import * as deployments from '../services/deployments.js';
import { ObjectAccess } from '../services/objectAccess.js';
import * as principals from '../services/principals.js';
import type { RunDeps } from '../services/runs.js';
import * as runs from '../services/runs.js';
import type { WorkPoolDeps } from '../services/workPools.js';
import * as workPools from '../services/workPools.js';
import type { WorkspaceProvisioner } from '../services/workspaces.js';
import * as workspaces from '../services/workspaces.js';
import { json } from './router.js';
import type { Route } from './types.js';

export interface ApiDeps extends RunDeps {
  workspaces: WorkspaceStore;
  /** Custom roles, teams, audit log (access control); optional so the route table can be built bare. */
  access?: AccessStore | undefined;
  provisionWorkspace?: WorkspaceProvisioner | undefined;
  /** Destroys a workspace's key material before its data is deleted (crypto-shredding). */
  deprovisionWorkspace?: WorkspaceProvisioner | undefined;
  /** Credentials, for their access lists (a pool may only name a credential the caller may use). */
  credentialStore?: CredentialStore | undefined;
  /** Secrets, for their access lists (a deployment may only declare secrets the caller may use). */
  secretStore?: SecretStore | undefined;
  /** Scheduling: edits drop future scheduled runs (transactionally) and delete their dispatch tasks. */
  schedules?: ScheduleStore | undefined;
  queue?: TaskQueue | undefined;
  checkCredential?: WorkPoolDeps['checkCredential'];
}

const WS = '/v1/workspaces/:ws';
const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextPageToken: z.string().optional() });

const IDEMPOTENCY_KEY = z.string().min(1).max(255);

/** Every REST route with the permission it needs: the single table the router enforces. */
export function apiRoutes(deps: ApiDeps): Route[] {
  const wsDeps = {
    store: deps.workspaces,
    provision: deps.provisionWorkspace,
    deprovision: deps.deprovisionWorkspace,
    hasActiveRuns: async (ws: string) => {
      for (const state of ['PENDING', 'RUNNING', 'CANCELLING'] as const) {
        if ((await deps.runs.listRuns(ws, { state, pageSize: 1 })).items.length > 0) return true;
      }
      return false;
    },
  };
  const pDeps = { store: deps.workspaces, access: deps.access };
  const poolDeps = { store: deps.workspaces, checkCredential: deps.checkCredential };
  const deploymentDeps = { store: deps.workspaces, schedules: deps.schedules, queue: deps.queue };
  const objects = new ObjectAccess(deps);
  return [
    {
      method: 'GET',
      path: '/healthz',
      access: { kind: 'public' },
      summary: 'Liveness',
      handler: async () => json(200, { status: 'ok' }),
    },
    {
      method: 'POST',
      path: '/v1/workspaces',
      access: { kind: 'platform_admin' },
      summary: "Create a workspace; returns its owner's first API key (shown once)",
      request: CreateWorkspaceRequest,
      response: z.object({ workspace: Workspace, owner: Member, apiKey: CreatedApiKey }),
      handler: async (c) => {
        const created = await workspaces.createWorkspace(wsDeps, c.body(CreateWorkspaceRequest), c.now);
        // The platform admin belongs to no workspace: the event goes to the new workspace's log.
        c.audit.workspace = created.workspace.name;
        return json(201, created);
      },
    },
    {
      method: 'GET',
      path: WS,
      access: { kind: 'permission', permission: 'workspace:read' },
      summary: 'Get a workspace',
      response: Workspace,
      handler: async (c) => json(200, await workspaces.getWorkspace(wsDeps, c.params.ws as string)),
    },
    {
      method: 'PATCH',
      path: WS,
      access: { kind: 'permission', permission: 'settings:write' },
      summary: 'Update workspace settings',
      request: UpdateWorkspaceRequest,
      response: Workspace,
      handler: async (c) =>
        json(
          200,
          await workspaces.updateWorkspace(
            wsDeps,
            c.params.ws as string,
            c.body(UpdateWorkspaceRequest),
            c.now,
          ),
        ),
    },
    {
      method: 'DELETE',
      path: WS,
      access: { kind: 'permission', permission: 'workspace:delete' },
      summary: 'Delete the workspace and everything in it (?confirm={ws}); its keys are destroyed first',
      handler: async (c) => {
        await workspaces.deleteWorkspace(wsDeps, c.params.ws as string, c.req.query.get('confirm'));
        return { status: 204 };
      },
    },

    // Members
    {
      method: 'POST',
      path: `${WS}/members`,
      access: { kind: 'permission', permission: 'member:manage' },
      summary: 'Add a member',
      request: CreateMemberRequest,
      response: Member,
      handler: async (c) =>
        json(
          201,
          await principals.createMember(
            pDeps,
            c.params.ws as string,
            c.body(CreateMemberRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/members`,
      access: { kind: 'permission', permission: 'member:read' },
      summary: 'List members',
      response: page(Member),
      handler: async (c) => {
        const q = c.query(PageQuery);
        return json(200, await deps.workspaces.listMembers(c.params.ws as string, pageOf(q)));
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/members/:member`,
      access: { kind: 'permission', permission: 'member:manage' },
      summary: 'Remove a member and revoke their keys',
      handler: async (c) => {
        await principals.deleteMember(
          pDeps,
          c.params.ws as string,
          c.params.member as string,
          c.principal,
          c.now,
        );
        return { status: 204 };
      },
    },

    // Service accounts and their keys
    {
      method: 'POST',
      path: `${WS}/service-accounts`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Create a service account',
      request: CreateServiceAccountRequest,
      response: ServiceAccount,
      handler: async (c) =>
        json(
          201,
          await principals.createServiceAccount(
            pDeps,
            c.params.ws as string,
            c.body(CreateServiceAccountRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/service-accounts`,
      access: { kind: 'permission', permission: 'service_account:read' },
      summary: 'List service accounts',
      response: page(ServiceAccount),
      handler: async (c) =>
        json(
          200,
          await deps.workspaces.listServiceAccounts(c.params.ws as string, pageOf(c.query(PageQuery))),
        ),
    },
    {
      method: 'DELETE',
      path: `${WS}/service-accounts/:sa`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Delete a service account and revoke its keys',
      handler: async (c) => {
        await principals.deleteServiceAccount(
          pDeps,
          c.params.ws as string,
          c.params.sa as string,
          c.principal,
          c.now,
        );
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: `${WS}/service-accounts/:sa/keys`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Create an API key for a service account (the key is shown once)',
      request: CreateApiKeyRequest,
      response: CreatedApiKey,
      handler: async (c) =>
        json(
          201,
          await principals.createServiceAccountKey(
            pDeps,
            c.params.ws as string,
            c.params.sa as string,
            c.body(CreateApiKeyRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/service-accounts/:sa/keys`,
      access: { kind: 'permission', permission: 'service_account:read' },
      summary: "List a service account's keys (metadata only)",
      response: z.object({ items: z.array(ApiKeyMetadata) }),
      handler: async (c) =>
        json(200, {
          items: await principals.listServiceAccountKeys(pDeps, c.params.ws as string, c.params.sa as string),
        }),
    },
    {
      method: 'DELETE',
      path: `${WS}/service-accounts/:sa/keys/:key`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Revoke an API key at once',
      response: ApiKeyMetadata,
      handler: async (c) =>
        json(
          200,
          await principals.revokeServiceAccountKey(
            pDeps,
            c.params.ws as string,
            c.params.sa as string,
            c.params.key as string,
            c.now,
          ),
        ),
    },

    // Work pools
    {
      method: 'POST',
      path: `${WS}/work-pools`,
      access: { kind: 'permission', permission: 'work_pool:write' },
      summary: 'Create a work pool',
      request: CreateWorkPoolRequest,
      response: WorkPool,
      handler: async (c) => {
        const req = c.body(CreateWorkPoolRequest);
        if (req.credential !== undefined) {
          await objects.requireCredential(c.principal, c.params.ws as string, req.credential);
        }
        return json(201, await workPools.createWorkPool(poolDeps, c.params.ws as string, req, c.now));
      },
    },
    {
      method: 'GET',
      path: `${WS}/work-pools`,
      access: { kind: 'permission', permission: 'work_pool:read' },
      summary: 'List work pools',
      response: page(WorkPool),
      handler: async (c) =>
        json(
          200,
          await objects.visiblePools(
            c.principal,
            c.params.ws as string,
            await deps.workspaces.listWorkPools(c.params.ws as string, pageOf(c.query(PageQuery))),
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/work-pools/:pool`,
      access: { kind: 'permission', permission: 'work_pool:read' },
      object: { type: 'work_pool', param: 'pool', level: 'view' },
      summary: 'Get a work pool',
      response: WorkPool,
      handler: async (c) =>
        json(200, await workPools.getWorkPool(poolDeps, c.params.ws as string, c.params.pool as string)),
    },
    {
      method: 'PATCH',
      path: `${WS}/work-pools/:pool`,
      access: { kind: 'permission', permission: 'work_pool:write' },
      object: { type: 'work_pool', param: 'pool', level: 'manage' },
      summary: 'Update a work pool',
      request: UpdateWorkPoolRequest,
      response: WorkPool,
      handler: async (c) => {
        const req = c.body(UpdateWorkPoolRequest);
        if (req.credential !== undefined) {
          await objects.requireCredential(c.principal, c.params.ws as string, req.credential);
        }
        return json(
          200,
          await workPools.updateWorkPool(
            poolDeps,
            c.params.ws as string,
            c.params.pool as string,
            req,
            c.now,
          ),
        );
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/work-pools/:pool`,
      access: { kind: 'permission', permission: 'work_pool:write' },
      object: { type: 'work_pool', param: 'pool', level: 'manage' },
      summary: 'Delete a work pool no deployment uses',
      handler: async (c) => {
        await deps.workspaces.deleteWorkPool(c.params.ws as string, c.params.pool as string);
        return { status: 204 };
      },
    },

    // Deployments
    {
      method: 'POST',
      path: `${WS}/deployments`,
      access: { kind: 'permission', permission: 'deployment:write' },
      summary: 'Create a deployment',
      request: CreateDeploymentRequest,
      response: Deployment,
      handler: async (c) => {
        const req = c.body(CreateDeploymentRequest);
        await objects.requirePool(c.principal, c.params.ws as string, req.workPool);
        await objects.requireSecrets(c.principal, c.params.ws as string, req.secretEnv);
        return json(
          201,
          await deployments.createDeployment(deploymentDeps, c.params.ws as string, req, c.now),
        );
      },
    },
    {
      method: 'GET',
      path: `${WS}/deployments`,
      access: { kind: 'permission', permission: 'deployment:read' },
      summary: 'List deployments',
      response: page(Deployment),
      handler: async (c) =>
        json(
          200,
          await objects.visibleDeployments(
            c.principal,
            c.params.ws as string,
            await deps.workspaces.listDeployments(c.params.ws as string, pageOf(c.query(PageQuery))),
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/deployments/:deployment`,
      access: { kind: 'permission', permission: 'deployment:read' },
      object: { type: 'deployment', param: 'deployment', level: 'view' },
      summary: 'Get a deployment',
      response: Deployment,
      handler: async (c) =>
        json(
          200,
          await deployments.getDeployment(
            { store: deps.workspaces },
            c.params.ws as string,
            c.params.deployment as string,
          ),
        ),
    },
    {
      method: 'PATCH',
      path: `${WS}/deployments/:deployment`,
      access: { kind: 'permission', permission: 'deployment:write' },
      object: { type: 'deployment', param: 'deployment', level: 'manage' },
      summary: 'Update a deployment',
      request: UpdateDeploymentRequest,
      response: Deployment,
      handler: async (c) => {
        const req = c.body(UpdateDeploymentRequest);
        if (req.workPool !== undefined)
          await objects.requirePool(c.principal, c.params.ws as string, req.workPool);
        await objects.requireSecrets(c.principal, c.params.ws as string, req.secretEnv);
        return json(
          200,
          await deployments.updateDeployment(
            deploymentDeps,
            c.params.ws as string,
            c.params.deployment as string,
            req,
            c.now,
          ),
        );
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/deployments/:deployment`,
      access: { kind: 'permission', permission: 'deployment:write' },
      object: { type: 'deployment', param: 'deployment', level: 'manage' },
      summary: 'Delete a deployment (its future scheduled runs go; started and finished runs stay readable)',
      handler: async (c) => {
        await deployments.deleteDeployment(
          deploymentDeps,
          c.params.ws as string,
          c.params.deployment as string,
          c.now,
        );
        return { status: 204 };
      },
    },

    // Runs
    {
      method: 'POST',
      path: `${WS}/deployments/:deployment/runs`,
      access: { kind: 'permission', permission: 'run:create' },
      object: { type: 'deployment', param: 'deployment', level: 'run' },
      summary: 'Create a run; with Idempotency-Key a repeat returns the first run (200)',
      request: CreateRunRequest,
      response: Run,
      handler: async (c) => {
        const rawKey = c.req.headers['idempotency-key'];
        let idempotencyKey: string | undefined;
        if (rawKey !== undefined) {
          const parsed = IDEMPOTENCY_KEY.safeParse(rawKey);
          if (!parsed.success) {
            throw new InvalidArgumentError('invalid Idempotency-Key header', [
              { field: 'Idempotency-Key', issue: '1 to 255 characters' },
            ]);
          }
          idempotencyKey = parsed.data;
        }
        const { run, created } = await runs.createRun(
          deps,
          c.params.ws as string,
          c.params.deployment as string,
          c.body(CreateRunRequest),
          { idempotencyKey, principal: c.principal, now: c.now },
        );
        return json(created ? 201 : 200, run);
      },
    },
    {
      method: 'GET',
      path: `${WS}/runs`,
      access: { kind: 'permission', permission: 'run:read' },
      summary: 'List runs, newest first, filtered by deployment and state',
      response: page(Run),
      handler: async (c) =>
        json(
          200,
          await objects.visibleRuns(
            c.principal,
            c.params.ws as string,
            await runs.listRuns(deps, c.params.ws as string, c.query(ListRunsQuery)),
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/runs/:run`,
      access: { kind: 'permission', permission: 'run:read' },
      object: { type: 'run', param: 'run', level: 'view' },
      summary: 'Get a run',
      response: Run,
      handler: async (c) => json(200, await runs.getRun(deps, c.params.ws as string, c.params.run as string)),
    },
    {
      method: 'GET',
      path: `${WS}/runs/:run/states`,
      access: { kind: 'permission', permission: 'run:read' },
      object: { type: 'run', param: 'run', level: 'view' },
      summary: "A run's state history, oldest first",
      response: z.object({ items: z.array(StateHistoryEntry) }),
      handler: async (c) => {
        await runs.getRun(deps, c.params.ws as string, c.params.run as string);
        return json(200, {
          items: await deps.runs.listStates(c.params.ws as string, c.params.run as string),
        });
      },
    },
    {
      method: 'POST',
      path: `${WS}/runs/:run/state`,
      access: { kind: 'permission', permission: 'run:report' },
      object: { type: 'run', param: 'run', level: 'run' },
      summary: 'Propose a state; answers with the orchestration result',
      request: ProposeStateRequest,
      response: OrchestrationResult,
      handler: async (c) => {
        const { result } = await runs.proposeState(
          deps,
          c.params.ws as string,
          c.params.run as string,
          c.body(ProposeStateRequest),
          c.now,
        );
        return json(200, result);
      },
    },
    {
      method: 'POST',
      path: `${WS}/runs/:run/cancel`,
      access: { kind: 'permission', permission: 'run:cancel' },
      object: { type: 'run', param: 'run', level: 'run' },
      summary: 'Cancel a run',
      response: Run,
      handler: async (c) => {
        c.body(z.strictObject({}));
        return json(200, await runs.cancelRun(deps, c.params.ws as string, c.params.run as string, c.now));
      },
    },
    {
      method: 'POST',
      path: `${WS}/runs/:run/logs`,
      access: { kind: 'permission', permission: 'run:report' },
      object: { type: 'run', param: 'run', level: 'run' },
      summary: 'Write a batch of log lines (nothing is stored when logs are off)',
      request: WriteLogsRequest,
      response: z.object({ stored: z.int(), logsEnabled: z.boolean() }),
      handler: async (c) => {
        const r = await runs.writeLogs(
          deps,
          c.params.ws as string,
          c.params.run as string,
          c.body(WriteLogsRequest),
          c.now,
        );
        return json(r.logsEnabled ? 201 : 200, r);
      },
    },
    {
      method: 'GET',
      path: `${WS}/runs/:run/logs`,
      access: { kind: 'permission', permission: 'log:read' },
      object: { type: 'run', param: 'run', level: 'view' },
      summary: "Read a run's logs, oldest first",
      response: page(LogEntry),
      handler: async (c) =>
        json(
          200,
          await runs.listLogs(deps, c.params.ws as string, c.params.run as string, c.query(ListLogsQuery)),
        ),
    },
    {
      method: 'POST',
      path: `${WS}/runs/:run/task-runs`,
      access: { kind: 'permission', permission: 'run:report' },
      object: { type: 'run', param: 'run', level: 'run' },
      summary: 'Report a task run (parameter values are dropped; names are kept)',
      request: ReportTaskRunRequest,
      response: TaskRun,
      handler: async (c) =>
        json(
          201,
          await runs.reportTaskRun(
            deps,
            c.params.ws as string,
            c.params.run as string,
            c.body(ReportTaskRunRequest),
            c.now,
          ),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/runs/:run/task-runs`,
      access: { kind: 'permission', permission: 'run:read' },
      object: { type: 'run', param: 'run', level: 'view' },
      summary: "List a run's task runs",
      response: z.object({ items: z.array(TaskRun) }),
      handler: async (c) => {
        await runs.getRun(deps, c.params.ws as string, c.params.run as string);
        return json(200, {
          items: await deps.runs.listTaskRuns(c.params.ws as string, c.params.run as string),
        });
      },
    },
  ];
}

function pageOf(q: PageQuery) {
  return { pageSize: q.page_size, pageToken: q.page_token };
}
