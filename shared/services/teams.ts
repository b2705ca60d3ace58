import type { CreateTeamRequest, Team, TeamMembersRequest, UpdateTeamRequest } from '../contracts/access.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import type { Principal } from './principal.js';
import { assertMayGrant } from './roles.js';

export interface TeamDeps {
  access: AccessStore;
  workspaces: WorkspaceStore;
}

/** Every listed principal must exist in the workspace: a typo must not silently grant nothing. */
async function assertPrincipalsExist(deps: TeamDeps, ws: string, keys: readonly string[], field: string) {
  for (const [i, key] of keys.entries()) {
    const [kind, id] = key.split(':') as [string, string];
    const found =
      kind === 'member'
        ? await deps.workspaces.getMember(ws, id)
        : await deps.workspaces.getServiceAccount(ws, id);
    if (!found)
      throw new InvalidArgumentError(`${key} is not in this workspace`, [
        { field: `${field}.${i}`, issue: 'no such principal' },
      ]);
  }
}

/** A team's roles reach all its members, so granting one to a team is granting it (no escalation). */
async function assertMayGrantAll(deps: TeamDeps, ws: string, caller: Principal, roles: readonly string[]) {
  for (const [i, role] of roles.entries()) await assertMayGrant(deps, ws, caller, role, `roles.${i}`);
}

async function assertNameFree(deps: TeamDeps, ws: string, name: string, except?: string) {
  const other = await deps.access.findTeamByName(ws, name);
  if (other && other.id !== except) throw new AlreadyExistsError(`team ${name}`);
}

export async function createTeam(
  deps: TeamDeps,
  ws: string,
  req: CreateTeamRequest & { externalId?: string | undefined },
  caller: Principal,
  now: Date,
): Promise<Team> {
  const roles = [...new Set(req.roles ?? [])];
  const members = [...new Set(req.members ?? [])];
  await assertMayGrantAll(deps, ws, caller, roles);
  await assertPrincipalsExist(deps, ws, members, 'members');
  await assertNameFree(deps, ws, req.name);
  const at = now.toISOString();
  const team: Team = {
    id: newSortableId(now.getTime()),
    name: req.name,
    ...(req.externalId === undefined ? {} : { externalId: req.externalId }),
    roles,
    members,
    createdAt: at,
    updatedAt: at,
  };
  await deps.access.createTeam(ws, team);
  return team;
}

export async function getTeam(deps: TeamDeps, ws: string, id: string): Promise<Team> {
  const team = await deps.access.getTeam(ws, id);
  if (!team) throw new NotFoundError(`team ${id}`);
  return team;
}

export async function updateTeam(
  deps: TeamDeps,
  ws: string,
  id: string,
  req: UpdateTeamRequest,
  caller: Principal,
  now: Date,
): Promise<Team> {
  const current = await getTeam(deps, ws, id);
  if (req.roles !== undefined) {
    // Removing a role from a team is taking it away from its members: held permissions only, both ways.
    await assertMayGrantAll(deps, ws, caller, [...new Set([...current.roles, ...req.roles])]);
  }
  if (req.name !== undefined) await assertNameFree(deps, ws, req.name, id);
  return deps.access.updateTeam(ws, id, (t) => ({
    ...t,
    ...(req.name === undefined ? {} : { name: req.name }),
    ...(req.roles === undefined ? {} : { roles: [...new Set(req.roles)] }),
    updatedAt: now.toISOString(),
  }));
}

/** Adding someone to a team grants them its roles: the caller must hold what the team carries. */
export async function changeTeamMembers(
  deps: TeamDeps,
  ws: string,
  id: string,
  req: TeamMembersRequest,
  caller: Principal,
  now: Date,
): Promise<Team> {
  const current = await getTeam(deps, ws, id);
  await assertMayGrantAll(deps, ws, caller, current.roles);
  await assertPrincipalsExist(deps, ws, req.add ?? [], 'add');
  const remove = new Set(req.remove ?? []);
  return deps.access.updateTeam(ws, id, (t) => ({
    ...t,
    members: [...new Set([...t.members, ...(req.add ?? [])])].filter((m) => !remove.has(m)),
    updatedAt: now.toISOString(),
  }));
}

export async function deleteTeam(deps: TeamDeps, ws: string, id: string, caller: Principal): Promise<void> {
  const current = await getTeam(deps, ws, id);
  await assertMayGrantAll(deps, ws, caller, current.roles);
  await deps.access.deleteTeam(ws, id);
}
