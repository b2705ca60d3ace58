import { z } from 'zod';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import * as scim from '../services/scim.js';
import {
  SCIM,
  SCIM_MAX_RESULTS,
  ScimGroupInput,
  ScimListQuery,
  ScimPatchRequest,
  ScimUserInput,
} from '../services/scim.js';
import type { HttpResponse, Route, RouteContext } from './types.js';

const CONTENT_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' };
const BASE = '/scim/v2';

function scimJson(status: number, body: unknown, extra: Record<string, string> = {}): HttpResponse {
  return { status, body, headers: { ...CONTENT_TYPE, ...extra } };
}

function mapError(err: unknown): HttpResponse {
  const { status, body } = scim.toScimError(err);
  return scimJson(status, body, status === 401 ? { 'www-authenticate': 'Bearer realm="pushrun-scim"' } : {});
}

function wsOf(c: RouteContext): string {
  if (c.principal.kind !== 'scim') throw new Error('SCIM route without a SCIM principal');
  return c.principal.workspace;
}

/** Body parsing with SCIM errors: zod issues become one invalidValue detail. */
function parseBody<T>(c: RouteContext, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.body(z.unknown()));
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    throw new scim.ScimError(400, detail, 'invalidValue');
  }
  return parsed.data;
}

const SERVICE_PROVIDER_CONFIG = {
  schemas: [SCIM.config],
  documentationUri: 'https://github.com/pushrun/pushrun#scim',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: 'The workspace SCIM token, created by an owner at POST /v1/workspaces/{ws}/scim-token',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
};

const RESOURCE_TYPES = [
  {
    schemas: [SCIM.resourceType],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'A workspace member',
    schema: SCIM.user,
    meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
  },
  {
    schemas: [SCIM.resourceType],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'A pushrun team',
    schema: SCIM.group,
    meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` },
  },
];

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const SCHEMAS = [
  {
    schemas: [SCIM.schema],
    id: SCIM.user,
    name: 'User',
    description: 'What pushrun keeps of a person: names, e-mail, active',
    attributes: [
      attr('userName', 'string', { required: true, uniqueness: 'server' }),
      attr('name', 'complex', {
        subAttributes: [
          attr('formatted', 'string'),
          attr('givenName', 'string'),
          attr('familyName', 'string'),
        ],
      }),
      attr('displayName', 'string'),
      attr('emails', 'complex', {
        multiValued: true,
        subAttributes: [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean')],
      }),
      attr('active', 'boolean'),
    ],
    meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${SCIM.user}` },
  },
  {
    schemas: [SCIM.schema],
    id: SCIM.group,
    name: 'Group',
    description: 'A pushrun team; its members are users',
    attributes: [
      attr('displayName', 'string', { required: true, uniqueness: 'server' }),
      attr('members', 'complex', {
        multiValued: true,
        subAttributes: [
          attr('value', 'string', { mutability: 'immutable' }),
          attr('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User'] }),
          attr('type', 'string', { mutability: 'immutable' }),
        ],
      }),
    ],
    meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${SCIM.group}` },
  },
];

export interface ScimRouteDeps {
  workspaces: WorkspaceStore;
  access: AccessStore;
}

/**
 * SCIM 2.0 under /scim/v2. The workspace comes from the bearer token (prs_…);
 * errors use SCIM's own shape. Users are members, Groups are teams.
 */
export function scimRoutes(deps: ScimRouteDeps): Route[] {
  const d = { workspaces: deps.workspaces, access: deps.access };
  const route = (
    method: Route['method'],
    path: string,
    summary: string,
    handler: Route['handler'],
  ): Route => ({
    method,
    path: `${BASE}${path}`,
    access: { kind: 'scim' },
    summary,
    handler,
    mapError,
  });
  const id = (c: RouteContext) => c.params.id as string;
  return [
    route('GET', '/ServiceProviderConfig', 'SCIM service provider configuration', async () =>
      scimJson(200, SERVICE_PROVIDER_CONFIG),
    ),
    route('GET', '/ResourceTypes', 'SCIM resource types', async () =>
      scimJson(200, scim.listResponse(RESOURCE_TYPES, RESOURCE_TYPES.length, 1)),
    ),
    route('GET', '/ResourceTypes/:id', 'A SCIM resource type', async (c) => {
      const rt = RESOURCE_TYPES.find((r) => r.id === id(c));
      if (!rt) throw new scim.ScimError(404, `resource type ${id(c)} not found`);
      return scimJson(200, rt);
    }),
    route('GET', '/Schemas', 'SCIM schemas', async () =>
      scimJson(200, scim.listResponse(SCHEMAS, SCHEMAS.length, 1)),
    ),
    route('GET', '/Schemas/:id', 'A SCIM schema', async (c) => {
      const s = SCHEMAS.find((x) => x.id === id(c));
      if (!s) throw new scim.ScimError(404, `schema ${id(c)} not found`);
      return scimJson(200, s);
    }),

    route('GET', '/Users', 'List or filter users', async (c) =>
      scimJson(200, await scim.listUsers(d, wsOf(c), c.query(ScimListQuery))),
    ),
    route('POST', '/Users', 'Provision a user (member)', async (c) => {
      const m = await scim.createUser(d, wsOf(c), parseBody(c, ScimUserInput), c.now);
      c.audit.target = `member:${m.id}`;
      return scimJson(201, scim.toScimUser(m), { location: `${BASE}/Users/${m.id}` });
    }),
    route('GET', '/Users/:id', 'Get a user', async (c) =>
      scimJson(200, scim.toScimUser(await scim.getUser(d, wsOf(c), id(c)))),
    ),
    route('PUT', '/Users/:id', 'Replace a user', async (c) => {
      c.audit.target = `member:${id(c)}`;
      return scimJson(
        200,
        scim.toScimUser(await scim.replaceUser(d, wsOf(c), id(c), parseBody(c, ScimUserInput), c.now)),
      );
    }),
    route('PATCH', '/Users/:id', 'Change a user (add/replace/remove, incl. active)', async (c) => {
      c.audit.target = `member:${id(c)}`;
      return scimJson(
        200,
        scim.toScimUser(await scim.patchUser(d, wsOf(c), id(c), parseBody(c, ScimPatchRequest), c.now)),
      );
    }),
    route('DELETE', '/Users/:id', 'Deprovision a user: keys revoked, member removed', async (c) => {
      c.audit.target = `member:${id(c)}`;
      await scim.deleteUser(d, wsOf(c), id(c), c.now);
      return { status: 204 };
    }),

    route('GET', '/Groups', 'List or filter groups (teams)', async (c) =>
      scimJson(200, await scim.listGroups(d, wsOf(c), c.query(ScimListQuery))),
    ),
    route('POST', '/Groups', 'Create a group (team)', async (c) => {
      const t = await scim.createGroup(d, wsOf(c), parseBody(c, ScimGroupInput), c.now);
      c.audit.target = `team:${t.id}`;
      return scimJson(201, scim.toScimGroup(t), { location: `${BASE}/Groups/${t.id}` });
    }),
    route('GET', '/Groups/:id', 'Get a group', async (c) => {
      const q = c.query(ScimListQuery);
      return scimJson(
        200,
        scim.toScimGroup(await scim.getGroup(d, wsOf(c), id(c)), { members: !scim.excludesMembers(q) }),
      );
    }),
    route('PUT', '/Groups/:id', 'Replace a group', async (c) => {
      c.audit.target = `team:${id(c)}`;
      return scimJson(
        200,
        scim.toScimGroup(await scim.replaceGroup(d, wsOf(c), id(c), parseBody(c, ScimGroupInput), c.now)),
      );
    }),
    route('PATCH', '/Groups/:id', 'Change a group (members, displayName)', async (c) => {
      c.audit.target = `team:${id(c)}`;
      const t = await scim.patchGroup(d, wsOf(c), id(c), parseBody(c, ScimPatchRequest), c.now);
      // Entra and Okta accept 204 for membership PATCH; returning the group costs nothing here.
      return scimJson(200, scim.toScimGroup(t));
    }),
    route('DELETE', '/Groups/:id', 'Delete a group (team)', async (c) => {
      c.audit.target = `team:${id(c)}`;
      await scim.deleteGroup(d, wsOf(c), id(c));
      return { status: 204 };
    }),
  ];
}
