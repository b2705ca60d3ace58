// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are Terraform expressions as hcl2json renders them, not JS templates
import { describe, expect, it } from 'vitest';
import {
  CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS,
  CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
  CUSTOMER_PROJECT_PERMISSIONS,
  CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
} from '../../shared/domain/customerPermissions.js';
import { workspaceBindingToken } from '../../shared/domain/workspaceBinding.js';
import { type HclBody, parseModule, resources } from './support.js';

const MODULE = 'terraform/modules/customer-onboarding';
const mod = await parseModule(MODULE);
const customRoles = resources(mod, 'google_project_iam_custom_role');

/** `google_project_iam_custom_role.X.name` → X */
function customRoleOf(binding: HclBody): string | undefined {
  return /^\$\{google_project_iam_custom_role\.([\w-]+)\.(name|id)\}$/.exec(String(binding.role))?.[1];
}

function permissionsOf(roleName: string): string[] {
  const permissions = customRoles[roleName]?.permissions;
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string' && !p.includes('${'))) {
    throw new Error(`custom role ${roleName} must list its permissions literally`);
  }
  return permissions as string[];
}

const LAUNCHER = '${google_service_account.pushrun.member}';
const LAUNCHER_ACCOUNT = '${google_service_account.pushrun.name}';
/** A role reference, with or without a `[0]` index (a role created only in keyless mode). */
function customRoleOfIndexed(binding: HclBody): string | undefined {
  return (
    customRoleOf(binding) ??
    /^\$\{google_project_iam_custom_role\.([\w-]+)\[0\]\.(name|id)\}$/.exec(String(binding.role))?.[1]
  );
}

describe('customer onboarding grants', () => {
  it("grants pushrun's launcher account, on the project, exactly the project-level permissions", () => {
    const projectGrants = Object.values(resources(mod, 'google_project_iam_member')).filter(
      (b) => b.member === LAUNCHER,
    );
    expect(projectGrants).toHaveLength(1);
    const role = customRoleOf(projectGrants[0] as HclBody);
    expect(role, 'the project-level grant is a custom role of this module').toBeDefined();
    expect(permissionsOf(role as string).sort()).toEqual([...CUSTOMER_PROJECT_LEVEL_PERMISSIONS].sort());
  });

  it('grants actAs on the runtime service account only, through a one-permission custom role', () => {
    const saGrants = Object.values(resources(mod, 'google_service_account_iam_member')).filter(
      (b) => b.member === LAUNCHER && b.service_account_id !== LAUNCHER_ACCOUNT,
    );
    expect(saGrants).toHaveLength(1);
    const grant = saGrants[0] as HclBody;
    expect(grant.service_account_id).toMatch(/serviceAccounts\/\$\{local\.runtime_service_account_email\}$/);
    const role = customRoleOf(grant);
    expect(role).toBeDefined();
    expect(permissionsOf(role as string)).toEqual([...CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS]);
  });

  it('keyless, lets the launcher read itself only, through a one-permission custom role', () => {
    const selfGrants = Object.values(resources(mod, 'google_service_account_iam_member')).filter(
      (b) => b.member === LAUNCHER && b.service_account_id === LAUNCHER_ACCOUNT,
    );
    expect(selfGrants).toHaveLength(1);
    const grant = selfGrants[0] as HclBody;
    expect(grant.count).toMatch(/local\.keyless/);
    const role = customRoleOfIndexed(grant);
    expect(role).toBeDefined();
    expect(customRoles[role as string]?.count).toMatch(/local\.keyless/);
    expect(permissionsOf(role as string)).toEqual([...CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS]);
  });

  it('binds the launcher account to the workspace in its description, as a word pushrun checks', () => {
    const launcher = resources(mod, 'google_service_account').pushrun as HclBody;
    const description = String(launcher.description);
    const token = workspaceBindingToken('${var.workspace}');
    expect(description.split(/[\s,;]+/)).toContain(token);
  });

  it('together the grants are exactly CUSTOMER_PROJECT_PERMISSIONS plus the launcher reading itself', () => {
    const granted = Object.keys(customRoles).flatMap(permissionsOf);
    expect(new Set(granted).size).toBe(granted.length);
    expect(granted.sort()).toEqual(
      [...CUSTOMER_PROJECT_PERMISSIONS, ...CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS].sort(),
    );
    expect(
      [...CUSTOMER_PROJECT_LEVEL_PERMISSIONS, ...CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS].sort(),
    ).toEqual([...CUSTOMER_PROJECT_PERMISSIONS].sort());
  });

  it('grants the launcher no predefined role anywhere', () => {
    const all = [
      ...Object.values(resources(mod, 'google_project_iam_member')),
      ...Object.values(resources(mod, 'google_service_account_iam_member')),
    ].filter((b) => b.member === LAUNCHER);
    for (const binding of all) expect(customRoleOfIndexed(binding)).toBeDefined();
    expect(mod.resource?.google_project_iam_binding).toBeUndefined();
    expect(mod.resource?.google_project_iam_policy).toBeUndefined();
  });

  it("keyless mode lets only pushrun's accounts mint tokens, for the launcher account", () => {
    const tokenCreators = Object.values(resources(mod, 'google_service_account_iam_member')).filter(
      (b) => b.role === 'roles/iam.serviceAccountTokenCreator',
    );
    expect(tokenCreators).toEqual([
      expect.objectContaining({
        service_account_id: '${google_service_account.pushrun.name}',
        member: 'serviceAccount:${each.value}',
        for_each: expect.stringContaining('var.pushrun_service_accounts'),
      }),
    ]);
  });

  it('registers a write-only credential that never diffs, and a work pool, through restapi', () => {
    const objects = resources(mod, 'restapi_object');
    const credential = objects.credential as HclBody;
    expect(credential.path).toBe('/v1/workspaces/${var.workspace}/credentials');
    expect(credential.ignore_all_server_changes).toBe(true);
    expect(credential.id_attribute).toBe('name');
    const pool = objects.work_pool as HclBody;
    expect(pool.path).toBe('/v1/workspaces/${var.workspace}/work-pools');
    expect(pool.update_method).toBe('PATCH');
  });
});
