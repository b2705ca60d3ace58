import { parse as parseFilter } from 'scim2-parse-filter';
import { z } from 'zod';
import type { Team } from '../contracts/access.js';
import type { Member } from '../contracts/principal.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, PushrunError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import { assertNotLastOwner } from './memberAccess.js';

/**
 * SCIM 2.0 (RFC 7643/7644) provisioning: Users are workspace members, Groups
 * are teams. Only what pushrun keeps is mapped (user name, e-mail, name parts,
 * external id, active; group name and user members); other attributes an
 * identity provider sends (titles, phone numbers, enterprise extension) are
 * accepted and dropped, as data minimisation asks, so default Okta and Entra ID
 * mappings provision without errors.
 */
export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  config: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** Role given to people an identity provider creates; more comes through team (group) roles. */
export const SCIM_DEFAULT_ROLE = 'viewer';
export const SCIM_MAX_RESULTS = 200;

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue';

/** An error in SCIM's own shape (RFC 7644 §3.12). */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }
}

export function scimErrorBody(status: number, detail: string, scimType?: ScimType) {
  return { schemas: [SCIM.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** Maps any thrown value to a SCIM error response; unexpected errors stay a plain 500. */
export function toScimError(err: unknown): { status: number; body: unknown } {
  if (err instanceof ScimError)
    return { status: err.status, body: scimErrorBody(err.status, err.detail, err.scimType) };
  if (err instanceof AlreadyExistsError)
    return { status: 409, body: scimErrorBody(409, err.message, 'uniqueness') };
  if (err instanceof InvalidArgumentError) {
    const syntax = err.details.some((d) => d.field === '(body)' && d.issue === 'malformed JSON');
    const fields = err.details.map((d) => `${d.field}: ${d.issue}`).join('; ');
    return {
      status: 400,
      body: scimErrorBody(
        400,
        fields === '' ? err.message : fields,
        syntax ? 'invalidSyntax' : 'invalidValue',
      ),
    };
  }
  if (err instanceof PushrunError) {
    const status = err.httpStatus;
    return { status, body: scimErrorBody(status, err.message, status === 400 ? 'mutability' : undefined) };
  }
  return { status: 500, body: scimErrorBody(500, 'internal error') };
}

// ---------- payloads ----------

/** Entra ID sends booleans as "True"/"False" strings in PATCH values. */
const ScimBool = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((v) => v.toLowerCase() === 'true'),
]);
const ScimName = z
  .object({
    formatted: z.string().max(400).optional(),
    givenName: z.string().max(200).optional(),
    familyName: z.string().max(200).optional(),
  })
  .loose();
const ScimEmail = z
  .object({ value: z.string().max(320), type: z.string().max(50).optional(), primary: ScimBool.optional() })
  .loose();

export const ScimUserInput = z
  .object({
    schemas: z.array(z.string()).optional(),
    userName: z.string().trim().min(3).max(320),
    externalId: z.string().max(400).optional(),
    name: ScimName.optional(),
    displayName: z.string().max(400).optional(),
    emails: z.array(ScimEmail).max(20).optional(),
    active: ScimBool.optional(),
  })
  .loose();
export type ScimUserInput = z.infer<typeof ScimUserInput>;

const ScimMemberRef = z.object({ value: z.string().min(1).max(100) }).loose();
export const ScimGroupInput = z
  .object({
    schemas: z.array(z.string()).optional(),
    displayName: z.string().trim().min(1).max(200),
    externalId: z.string().max(400).optional(),
    members: z.array(ScimMemberRef).max(10_000).optional(),
  })
  .loose();
export type ScimGroupInput = z.infer<typeof ScimGroupInput>;

export const ScimPatchRequest = z
  .object({
    schemas: z
      .array(z.string())
      .refine((s) => s.includes(SCIM.patch), { message: `must include ${SCIM.patch}` }),
    Operations: z
      .array(
        z
          .object({
            // Entra ID capitalises ops ("Replace"); RFC 7644 says they are case-insensitive.
            op: z
              .string()
              .transform((o) => o.toLowerCase())
              .pipe(z.enum(['add', 'replace', 'remove'])),
            path: z.string().max(500).optional(),
            value: z.unknown().optional(),
          })
          .loose(),
      )
      .min(1)
      .max(1000),
  })
  .loose();
export type ScimPatchRequest = z.infer<typeof ScimPatchRequest>;

export const ScimListQuery = z
  .object({
    filter: z.string().max(1000).optional(),
    startIndex: z.coerce.number().int().optional(),
    count: z.coerce.number().int().optional(),
    attributes: z.string().max(1000).optional(),
    excludedAttributes: z.string().max(1000).optional(),
  })
  .loose();
export type ScimListQuery = z.infer<typeof ScimListQuery>;

// ---------- filters ----------

/**
 * Parses a filter with scim2-parse-filter and accepts exactly `<attr> eq "<string>"`
 * for the given attributes (names case-insensitive, schema URN prefix allowed);
 * anything else is a 400 invalidFilter naming what is supported.
 */
export function parseEqFilter(
  filter: string,
  allowed: readonly string[],
  schema: string,
): { attr: string; value: string } {
  let ast: ReturnType<typeof parseFilter>;
  try {
    ast = parseFilter(filter);
  } catch {
    throw new ScimError(400, 'the filter is not valid SCIM filter syntax', 'invalidFilter');
  }
  const supported = allowed.map((a) => `${a} eq "…"`).join(', ');
  if (ast.op !== 'eq' || !('compValue' in ast) || typeof ast.compValue !== 'string') {
    throw new ScimError(400, `only these filters are supported: ${supported}`, 'invalidFilter');
  }
  const path = ast.attrPath.startsWith(`${schema}:`) ? ast.attrPath.slice(schema.length + 1) : ast.attrPath;
  const attr = allowed.find((a) => a.toLowerCase() === path.toLowerCase());
  if (attr === undefined)
    throw new ScimError(400, `only these filters are supported: ${supported}`, 'invalidFilter');
  return { attr, value: ast.compValue };
}

/** RFC 7644 §3.4.2.4: startIndex < 1 means 1, a negative count means 0. */
export function paging(q: ScimListQuery): { startIndex: number; count: number } {
  const startIndex = Math.max(1, q.startIndex ?? 1);
  const count = Math.min(SCIM_MAX_RESULTS, Math.max(0, q.count ?? 100));
  return { startIndex, count };
}

export function listResponse<T>(resources: T[], total: number, startIndex: number) {
  return {
    schemas: [SCIM.list],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

// ---------- users ----------

export interface ScimDeps {
  workspaces: WorkspaceStore;
  access: AccessStore;
}

export function toScimUser(m: Member) {
  const formatted = m.name ?? ([m.givenName, m.familyName].filter(Boolean).join(' ') || undefined);
  return {
    schemas: [SCIM.user],
    id: m.id,
    ...(m.externalId === undefined ? {} : { externalId: m.externalId }),
    userName: m.userName ?? m.email,
    name: {
      ...(formatted === undefined ? {} : { formatted }),
      ...(m.givenName === undefined ? {} : { givenName: m.givenName }),
      ...(m.familyName === undefined ? {} : { familyName: m.familyName }),
    },
    ...(formatted === undefined ? {} : { displayName: formatted }),
    emails: [{ value: m.email, type: 'work', primary: true }],
    active: m.active,
    meta: {
      resourceType: 'User',
      created: m.createdAt,
      lastModified: m.updatedAt ?? m.createdAt,
      location: `/scim/v2/Users/${m.id}`,
    },
  };
}

/** What SCIM may change on a member: a flat view the PATCH operations edit. */
interface UserView {
  userName: string;
  email: string;
  externalId?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  formatted?: string | undefined;
  active: boolean;
}

const Email = z.email().max(320);

function chooseEmail(input: {
  userName: string;
  emails?: { value: string; type?: string | undefined; primary?: boolean | undefined }[] | undefined;
}): string {
  const emails = input.emails ?? [];
  const pick =
    emails.find((e) => e.primary === true) ??
    emails.find((e) => e.type?.toLowerCase() === 'work') ??
    emails[0];
  const candidate = (pick?.value ?? input.userName).toLowerCase();
  if (!Email.safeParse(candidate).success) {
    throw new ScimError(400, 'a user needs an e-mail address: userName or emails[].value', 'invalidValue');
  }
  return candidate;
}

function viewFromInput(input: ScimUserInput): UserView {
  return {
    userName: input.userName.toLowerCase(),
    email: chooseEmail(input),
    externalId: input.externalId,
    givenName: input.name?.givenName,
    familyName: input.name?.familyName,
    formatted: input.name?.formatted ?? input.displayName,
    active: input.active ?? true,
  };
}

function viewOf(m: Member): UserView {
  return {
    userName: m.userName ?? m.email,
    email: m.email,
    externalId: m.externalId,
    givenName: m.givenName,
    familyName: m.familyName,
    formatted: m.name,
    active: m.active,
  };
}

/** A member by SCIM userName; members invited through the API (no userName yet) match by e-mail. */
export async function findUserByUserName(
  deps: ScimDeps,
  ws: string,
  userName: string,
): Promise<Member | null> {
  const lower = userName.toLowerCase();
  const byUserName = await deps.access.findMemberByUserName(ws, lower);
  if (byUserName) return byUserName;
  const byEmail = await deps.workspaces.findMemberByEmail(ws, lower);
  return byEmail && byEmail.userName === undefined ? byEmail : null;
}

async function assertUnique(deps: ScimDeps, ws: string, view: UserView, self?: string) {
  const a = await findUserByUserName(deps, ws, view.userName);
  const b = await deps.workspaces.findMemberByEmail(ws, view.email);
  for (const other of [a, b]) {
    if (other && other.id !== self)
      throw new ScimError(409, `a user with this userName or e-mail already exists`, 'uniqueness');
  }
}

export async function listUsers(deps: ScimDeps, ws: string, q: ScimListQuery) {
  const { startIndex, count } = paging(q);
  if (q.filter !== undefined) {
    const f = parseEqFilter(q.filter, ['userName', 'externalId'], SCIM.user);
    const m =
      f.attr === 'userName'
        ? await findUserByUserName(deps, ws, f.value)
        : await deps.access.findMemberByExternalId(ws, f.value);
    const all = m ? [toScimUser(m)] : [];
    return listResponse(all.slice(startIndex - 1, startIndex - 1 + count), all.length, startIndex);
  }
  const page = await deps.access.listMembersPage(ws, { offset: startIndex - 1, limit: count });
  return listResponse(page.items.map(toScimUser), page.total, startIndex);
}

export async function getUser(deps: ScimDeps, ws: string, id: string): Promise<Member> {
  const m = await deps.workspaces.getMember(ws, id);
  if (!m) throw new ScimError(404, `user ${id} not found`);
  return m;
}

export async function createUser(
  deps: ScimDeps,
  ws: string,
  input: ScimUserInput,
  now: Date,
): Promise<Member> {
  const view = viewFromInput(input);
  await assertUnique(deps, ws, view);
  const at = now.toISOString();
  const member: Member = {
    id: newSortableId(now.getTime()),
    email: view.email,
    role: SCIM_DEFAULT_ROLE,
    active: view.active,
    createdAt: at,
    updatedAt: at,
    userName: view.userName,
    ...(view.externalId === undefined ? {} : { externalId: view.externalId }),
    ...(view.givenName === undefined ? {} : { givenName: view.givenName }),
    ...(view.familyName === undefined ? {} : { familyName: view.familyName }),
    ...nameOf(view),
  };
  await deps.workspaces.createMember(ws, member);
  return member;
}

function nameOf(view: UserView): { name?: string } {
  const name = view.formatted ?? ([view.givenName, view.familyName].filter(Boolean).join(' ') || undefined);
  return name === undefined ? {} : { name };
}

/** Writes a changed view back; deactivation revokes the member's API keys at once. */
async function saveUser(
  deps: ScimDeps,
  ws: string,
  member: Member,
  view: UserView,
  now: Date,
): Promise<Member> {
  if (!Email.safeParse(view.email).success)
    throw new ScimError(400, 'emails value is not an e-mail address', 'invalidValue');
  await assertUnique(deps, ws, view, member.id);
  const deactivates = member.active && !view.active;
  if (deactivates) await assertNotLastOwner(deps, ws, member, 'deactivated');
  const updated = await deps.access.updateMember(ws, member.id, (m) => {
    const { externalId: _e, givenName: _g, familyName: _f, name: _n, ...rest } = m;
    return {
      ...rest,
      email: view.email,
      userName: view.userName.toLowerCase(),
      active: view.active,
      ...(view.externalId === undefined ? {} : { externalId: view.externalId }),
      ...(view.givenName === undefined ? {} : { givenName: view.givenName }),
      ...(view.familyName === undefined ? {} : { familyName: view.familyName }),
      ...nameOf(view),
      updatedAt: now.toISOString(),
    };
  });
  if (deactivates) await deps.workspaces.revokeApiKeysOf(ws, member.id, now.toISOString());
  return updated;
}

export async function replaceUser(deps: ScimDeps, ws: string, id: string, input: ScimUserInput, now: Date) {
  const member = await getUser(deps, ws, id);
  return saveUser(deps, ws, member, viewFromInput(input), now);
}

const USER_ATTR_PREFIX = new RegExp(`^${SCIM.user.replace(/[.]/g, '\\.')}:`, 'i');
const VALUE_PATH = /^(\w+)\[(.+)\](?:\.(\w+))?$/;

/** The parts of a PATCH path: `attr`, `attr.sub`, or `attr[filter].sub` (Okta/Entra value paths). */
function parsePath(raw: string): {
  attr: string;
  sub?: string | undefined;
  filter?: { attr: string; value: string };
} {
  const path = raw.trim().replace(USER_ATTR_PREFIX, '');
  const vp = VALUE_PATH.exec(path);
  if (vp) {
    let f: ReturnType<typeof parseFilter>;
    try {
      f = parseFilter(vp[2] as string);
    } catch {
      throw new ScimError(400, `invalid path ${raw}`, 'invalidPath');
    }
    if (f.op !== 'eq' || !('compValue' in f) || typeof f.compValue !== 'string') {
      throw new ScimError(400, `only eq value filters are supported in paths: ${raw}`, 'invalidPath');
    }
    return {
      attr: (vp[1] as string).toLowerCase(),
      sub: vp[3]?.toLowerCase(),
      filter: { attr: f.attrPath.toLowerCase(), value: f.compValue },
    };
  }
  if (!/^[\w:.$-]+$/.test(path)) throw new ScimError(400, `invalid path ${raw}`, 'invalidPath');
  const dot = path.indexOf('.');
  if (path.includes(':')) return { attr: path.toLowerCase() }; // another schema's attribute (enterprise extension): dropped
  return dot < 0
    ? { attr: path.toLowerCase() }
    : { attr: path.slice(0, dot).toLowerCase(), sub: path.slice(dot + 1).toLowerCase() };
}

const asString = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new ScimError(400, `${what} must be a string`, 'invalidValue');
  return v;
};

function applyUserAttr(
  view: UserView,
  op: 'add' | 'replace' | 'remove',
  p: ReturnType<typeof parsePath>,
  value: unknown,
): void {
  const remove = op === 'remove';
  switch (p.attr) {
    case 'active': {
      if (remove) throw new ScimError(400, 'active cannot be removed', 'mutability');
      const b = ScimBool.safeParse(value);
      if (!b.success) throw new ScimError(400, 'active must be a boolean', 'invalidValue');
      view.active = b.data;
      return;
    }
    case 'username':
      if (remove) throw new ScimError(400, 'userName cannot be removed', 'mutability');
      view.userName = asString(value, 'userName').toLowerCase();
      return;
    case 'externalid':
      view.externalId = remove ? undefined : asString(value, 'externalId');
      return;
    case 'displayname':
      view.formatted = remove ? undefined : asString(value, 'displayName');
      return;
    case 'name': {
      if (p.sub === undefined) {
        if (remove) {
          view.givenName = view.familyName = view.formatted = undefined;
          return;
        }
        const n = ScimName.safeParse(value);
        if (!n.success) throw new ScimError(400, 'name must be an object', 'invalidValue');
        if (n.data.givenName !== undefined) view.givenName = n.data.givenName;
        if (n.data.familyName !== undefined) view.familyName = n.data.familyName;
        if (n.data.formatted !== undefined) view.formatted = n.data.formatted;
        return;
      }
      const v = remove ? undefined : asString(value, `name.${p.sub}`);
      if (p.sub === 'givenname') view.givenName = v;
      else if (p.sub === 'familyname') view.familyName = v;
      else if (p.sub === 'formatted') view.formatted = v;
      return;
    }
    case 'emails': {
      if (remove) throw new ScimError(400, 'a user must keep an e-mail address', 'mutability');
      if (p.filter !== undefined) {
        // emails[type eq "work"].value — the address itself; other sub-attributes are not kept.
        if (p.sub === undefined || p.sub === 'value') {
          const v =
            p.sub === undefined ? ScimEmail.safeParse(value).data?.value : asString(value, 'emails.value');
          if (v !== undefined) view.email = v.toLowerCase();
        }
        return;
      }
      const list = z.array(ScimEmail).safeParse(Array.isArray(value) ? value : [value]);
      if (!list.success)
        throw new ScimError(400, 'emails must be a list of {value, type, primary}', 'invalidValue');
      view.email = chooseEmail({ userName: view.userName, emails: list.data });
      return;
    }
    default:
      // Attributes pushrun does not keep (title, phoneNumbers, enterprise extension, …): dropped.
      return;
  }
}

export async function patchUser(deps: ScimDeps, ws: string, id: string, req: ScimPatchRequest, now: Date) {
  const member = await getUser(deps, ws, id);
  const view = viewOf(member);
  for (const op of req.Operations) {
    if (op.path === undefined) {
      // Okta: {"op":"replace","value":{"active":false}}; Entra may send dotted keys inside value.
      if (op.op === 'remove') throw new ScimError(400, 'remove needs a path', 'noTarget');
      if (typeof op.value !== 'object' || op.value === null || Array.isArray(op.value)) {
        throw new ScimError(400, 'a PATCH operation without path needs an object value', 'invalidValue');
      }
      for (const [k, v] of Object.entries(op.value)) applyUserAttr(view, op.op, parsePath(k), v);
    } else {
      applyUserAttr(view, op.op, parsePath(op.path), op.value);
    }
  }
  return saveUser(deps, ws, member, view, now);
}

/** Removes the person: keys revoked first (so a half-failed delete leaves them locked out), then teams, then the member. */
export async function deleteUser(deps: ScimDeps, ws: string, id: string, now: Date): Promise<void> {
  const member = await getUser(deps, ws, id);
  await assertNotLastOwner(deps, ws, member, 'removed');
  await deps.workspaces.revokeApiKeysOf(ws, id, now.toISOString());
  await deps.access.removeFromAllTeams(ws, `member:${id}`);
  await deps.workspaces.deleteMember(ws, id);
}

// ---------- groups ----------

export function toScimGroup(t: Team, opts: { members: boolean } = { members: true }) {
  return {
    schemas: [SCIM.group],
    id: t.id,
    displayName: t.name,
    ...(t.externalId === undefined ? {} : { externalId: t.externalId }),
    ...(opts.members
      ? {
          members: t.members
            .filter((m) => m.startsWith('member:'))
            .map((m) => {
              const id = m.slice('member:'.length);
              return { value: id, type: 'User', $ref: `/scim/v2/Users/${id}` };
            }),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: t.createdAt,
      lastModified: t.updatedAt,
      location: `/scim/v2/Groups/${t.id}`,
    },
  };
}

export function excludesMembers(q: ScimListQuery): boolean {
  return (q.excludedAttributes ?? '').split(',').some((a) => a.trim().toLowerCase() === 'members');
}

async function memberKeys(deps: ScimDeps, ws: string, refs: { value: string }[]): Promise<string[]> {
  const keys: string[] = [];
  for (const r of refs) {
    if (!(await deps.workspaces.getMember(ws, r.value))) {
      throw new ScimError(400, `member ${r.value} is not a user of this workspace`, 'invalidValue');
    }
    keys.push(`member:${r.value}`);
  }
  return keys;
}

export async function listGroups(deps: ScimDeps, ws: string, q: ScimListQuery) {
  const { startIndex, count } = paging(q);
  const withMembers = !excludesMembers(q);
  if (q.filter !== undefined) {
    const f = parseEqFilter(q.filter, ['displayName', 'externalId'], SCIM.group);
    const t =
      f.attr === 'displayName'
        ? await deps.access.findTeamByName(ws, f.value)
        : await deps.access.findTeamByExternalId(ws, f.value);
    const all = t ? [toScimGroup(t, { members: withMembers })] : [];
    return listResponse(all.slice(startIndex - 1, startIndex - 1 + count), all.length, startIndex);
  }
  const page = await deps.access.listTeams(ws, { offset: startIndex - 1, limit: count });
  return listResponse(
    page.items.map((t) => toScimGroup(t, { members: withMembers })),
    page.total,
    startIndex,
  );
}

export async function getGroup(deps: ScimDeps, ws: string, id: string): Promise<Team> {
  const t = await deps.access.getTeam(ws, id);
  if (!t) throw new ScimError(404, `group ${id} not found`);
  return t;
}

export async function createGroup(
  deps: ScimDeps,
  ws: string,
  input: ScimGroupInput,
  now: Date,
): Promise<Team> {
  if (await deps.access.findTeamByName(ws, input.displayName)) {
    throw new ScimError(409, `a group named ${input.displayName} already exists`, 'uniqueness');
  }
  const at = now.toISOString();
  // Teams an IdP creates carry no roles: an owner or admin grants roles to them in pushrun.
  const team: Team = {
    id: newSortableId(now.getTime()),
    name: input.displayName,
    ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
    roles: [],
    members: [...new Set(await memberKeys(deps, ws, input.members ?? []))],
    createdAt: at,
    updatedAt: at,
  };
  await deps.access.createTeam(ws, team);
  return team;
}

async function renameCheck(deps: ScimDeps, ws: string, id: string, name: string) {
  const other = await deps.access.findTeamByName(ws, name);
  if (other && other.id !== id)
    throw new ScimError(409, `a group named ${name} already exists`, 'uniqueness');
}

/** Replaces name and user members; service accounts in the team (pushrun-only) are kept. */
export async function replaceGroup(deps: ScimDeps, ws: string, id: string, input: ScimGroupInput, now: Date) {
  await getGroup(deps, ws, id);
  await renameCheck(deps, ws, id, input.displayName);
  const users = await memberKeys(deps, ws, input.members ?? []);
  return deps.access.updateTeam(ws, id, (t) => ({
    ...t,
    name: input.displayName,
    ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
    members: [...new Set([...t.members.filter((m) => !m.startsWith('member:')), ...users])],
    updatedAt: now.toISOString(),
  }));
}

const MemberRefs = z.array(ScimMemberRef);

export async function patchGroup(deps: ScimDeps, ws: string, id: string, req: ScimPatchRequest, now: Date) {
  const team = await getGroup(deps, ws, id);
  let name = team.name;
  let externalId = team.externalId;
  let users = new Set(team.members.filter((m) => m.startsWith('member:')));
  const refs = async (value: unknown): Promise<string[]> => {
    const parsed = MemberRefs.safeParse(Array.isArray(value) ? value : [value]);
    if (!parsed.success) throw new ScimError(400, 'members must be a list of {value}', 'invalidValue');
    return memberKeys(deps, ws, parsed.data);
  };
  for (const op of req.Operations) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw new ScimError(400, 'remove needs a path', 'noTarget');
      const v = z
        .object({
          displayName: z.string().min(1).max(200).optional(),
          externalId: z.string().optional(),
          members: z.unknown().optional(),
        })
        .loose()
        .safeParse(op.value);
      if (!v.success)
        throw new ScimError(400, 'a PATCH operation without path needs an object value', 'invalidValue');
      if (v.data.displayName !== undefined) name = v.data.displayName;
      if (v.data.externalId !== undefined) externalId = v.data.externalId;
      if (v.data.members !== undefined) {
        const keys = await refs(v.data.members);
        users = op.op === 'replace' ? new Set(keys) : new Set([...users, ...keys]);
      }
      continue;
    }
    const p = parsePath(op.path.replace(new RegExp(`^${SCIM.group.replace(/[.]/g, '\\.')}:`, 'i'), ''));
    switch (p.attr) {
      case 'displayname':
        if (op.op === 'remove') throw new ScimError(400, 'displayName cannot be removed', 'mutability');
        name = asString(op.value, 'displayName');
        break;
      case 'externalid':
        externalId = op.op === 'remove' ? undefined : asString(op.value, 'externalId');
        break;
      case 'members': {
        if (p.filter !== undefined) {
          // members[value eq "id"]: Okta and Entra remove one member this way.
          if (p.filter.attr !== 'value')
            throw new ScimError(400, 'members can be selected by value only', 'invalidPath');
          if (op.op !== 'remove')
            throw new ScimError(400, 'only remove is supported on members[value eq …]', 'invalidPath');
          users.delete(`member:${p.filter.value}`);
          break;
        }
        if (op.op === 'remove') {
          // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]}; no value = remove all.
          if (op.value === undefined) {
            users = new Set();
          } else {
            // Removing someone who is not there (anymore) is not an error: IdPs retry.
            const parsed = MemberRefs.safeParse(Array.isArray(op.value) ? op.value : [op.value]);
            if (!parsed.success)
              throw new ScimError(400, 'members must be a list of {value}', 'invalidValue');
            for (const r of parsed.data) users.delete(`member:${r.value}`);
          }
        } else {
          const keys = await refs(op.value);
          users = op.op === 'replace' ? new Set(keys) : new Set([...users, ...keys]);
        }
        break;
      }
      default:
        throw new ScimError(400, `unsupported path ${op.path}`, 'invalidPath');
    }
  }
  if (name !== team.name) await renameCheck(deps, ws, id, name);
  return deps.access.updateTeam(ws, id, (t) => {
    const { externalId: _e, ...rest } = t;
    return {
      ...rest,
      name,
      ...(externalId === undefined ? {} : { externalId }),
      members: [...new Set([...t.members.filter((m) => !m.startsWith('member:')), ...users])],
      updatedAt: now.toISOString(),
    };
  });
}

export async function deleteGroup(deps: ScimDeps, ws: string, id: string): Promise<void> {
  await getGroup(deps, ws, id);
  await deps.access.deleteTeam(ws, id).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw new ScimError(404, `group ${id} not found`);
    throw err;
  });
}
