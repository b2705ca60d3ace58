import { expect } from 'vitest';
import { accessRoutes } from '../../../shared/http/accessRoutes.js';
import { apiRoutes } from '../../../shared/http/apiRoutes.js';
import { credentialRoutes } from '../../../shared/http/credentialRoutes.js';
import { scimRoutes } from '../../../shared/http/scimRoutes.js';
import { secretRoutes } from '../../../shared/http/secretRoutes.js';
import type { Route } from '../../../shared/http/types.js';
import type { ApiUnderTest, client } from '../../support/apiServer.js';

type Call = ReturnType<typeof client>;

export interface Fixture {
  ws: string;
  ownerKey: string;
  viewerKey: string;
  runnerKey: string;
  memberId: string;
  sa: string;
  saKeyId: string;
  pool: string;
  deployment: string;
  runId: string;
  role: string;
  teamId: string;
}

/** A workspace populated with one of everything, and keys for several roles. */
export async function populate(api: ApiUnderTest, call: Call, ws: string): Promise<Fixture> {
  const created = await call('POST', '/v1/workspaces', {
    key: api.adminKey,
    body: { name: ws, ownerEmail: `owner@${ws}.test` },
  });
  expect(created.status).toBe(201);
  const ownerKey: string = created.body.apiKey.key;
  const keyFor = async (sa: string, role: string) => {
    expect(
      (
        await call('POST', `/v1/workspaces/${ws}/service-accounts`, {
          key: ownerKey,
          body: { name: sa, role },
        })
      ).status,
    ).toBe(201);
    const k = await call('POST', `/v1/workspaces/${ws}/service-accounts/${sa}/keys`, {
      key: ownerKey,
      body: {},
    });
    expect(k.status).toBe(201);
    return { key: k.body.key as string, id: k.body.id as string };
  };
  const viewer = await keyFor('viewer-bot', 'viewer');
  const runner = await keyFor('runner-bot', 'runner');
  const member = await call('POST', `/v1/workspaces/${ws}/members`, {
    key: ownerKey,
    body: { email: `dev@${ws}.test`, role: 'developer' },
  });
  expect(member.status).toBe(201);
  const pool = await call('POST', `/v1/workspaces/${ws}/work-pools`, {
    key: ownerKey,
    body: { name: 'pool-a', kind: 'hybrid', concurrencyLimit: 5 },
  });
  expect(pool.status).toBe(201);
  const dep = await call('POST', `/v1/workspaces/${ws}/deployments`, {
    key: ownerKey,
    body: {
      name: 'etl',
      workPool: 'pool-a',
      image: 'us-docker.pkg.dev/acme/flows/etl:1',
      command: ['python', 'flow.py'],
      parameterSchema: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: 0 }, label: { type: 'string', default: 'x' } },
        required: ['n'],
        additionalProperties: false,
      },
      parameters: { n: 1 },
    },
  });
  expect(dep.status).toBe(201);
  const run = await call('POST', `/v1/workspaces/${ws}/deployments/etl/runs`, {
    key: ownerKey,
    body: { parameters: {} },
  });
  expect(run.status).toBe(201);
  const role = await call('POST', `/v1/workspaces/${ws}/roles`, {
    key: ownerKey,
    body: {
      name: 'deployer',
      permissions: ['deployment:read', 'deployment:write', 'run:read', 'run:create'],
    },
  });
  expect(role.status).toBe(201);
  const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
    key: ownerKey,
    body: { name: 'platform', members: [`member:${member.body.id}`] },
  });
  expect(team.status).toBe(201);
  return {
    ws,
    ownerKey,
    viewerKey: viewer.key,
    runnerKey: runner.key,
    memberId: member.body.id,
    sa: 'viewer-bot',
    saKeyId: viewer.id,
    pool: 'pool-a',
    deployment: 'etl',
    runId: run.body.id,
    role: 'deployer',
    teamId: team.body.id,
  };
}

/** The route table as the API serves it (dependencies are irrelevant for the table). */
export function routeTable(): Route[] {
  return [
    ...apiRoutes({ workspaces: {} as never, runs: {} as never }),
    ...credentialRoutes({} as never),
    ...secretRoutes({} as never),
    ...accessRoutes({} as never),
    ...scimRoutes({} as never),
  ];
}

export function fillPath(path: string, f: Fixture): string {
  return path
    .replace(':ws', f.ws)
    .replace(':member', f.memberId)
    .replace(':sa', f.sa)
    .replace(':key', f.saKeyId)
    .replace(':pool', f.pool)
    .replace(':deployment', f.deployment)
    .replace(':run', f.runId)
    .replace(':role', f.role)
    .replace(':team', f.teamId)
    .replace(':credential', 'no-such-credential')
    .replace(':secret', 'no-such-secret');
}
