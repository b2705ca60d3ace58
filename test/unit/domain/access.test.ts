import { describe, expect, it } from 'vitest';
import {
  type AccessList,
  AccessList as AccessListSchema,
  type AccessSubject,
  canAccess,
  canAccessDeployment,
  effectivePermissions,
  escalation,
} from '../../../shared/domain/access.js';
import {
  Permission,
  ROLE_GRANTABLE_PERMISSIONS,
  ROLE_PERMISSIONS,
  RUN_TOKEN_ONLY_PERMISSIONS,
} from '../../../shared/domain/permissions.js';
import { parseEqFilter, SCIM } from '../../../shared/services/scim.js';

const alice: AccessSubject = { principal: 'member:alice0001', teams: ['team0001'], bypass: false };
const admin: AccessSubject = { principal: 'member:admin0001', teams: [], bypass: true };

describe('canAccess', () => {
  const acl: AccessList = [
    { principal: 'member:alice0001', level: 'view' },
    { team: 'team0001', level: 'run' },
    { principal: 'service_account:ci-bot', level: 'manage' },
  ];
  it.each([
    [undefined, 'manage', true],
    [null, 'manage', true],
    [[], 'view', false],
    [acl, 'view', true],
    // The team entry raises alice above her own entry.
    [acl, 'run', true],
    [acl, 'manage', false],
  ] as const)('list %j at %s → %s', (list, level, expected) => {
    expect(canAccess(alice, list as AccessList | null | undefined, level)).toBe(expected);
  });

  it('owners and admins pass every list, even an empty one', () => {
    expect(canAccess(admin, [], 'manage')).toBe(true);
  });

  it('someone on no entry sees nothing', () => {
    expect(canAccess({ principal: 'member:bob00001', teams: [], bypass: false }, acl, 'view')).toBe(false);
  });
});

describe('canAccessDeployment', () => {
  const pool: AccessList = [{ team: 'team0001', level: 'run' }];
  it.each([
    [undefined, pool, 'view', true],
    [undefined, pool, 'run', true],
    // Managing a deployment needs manage on it but only run on its pool.
    [undefined, pool, 'manage', true],
    [[{ principal: 'member:alice0001', level: 'view' }], pool, 'run', false],
    [undefined, [{ team: 'other001', level: 'manage' }], 'view', false],
  ] as const)('deployment %j in pool %j at %s → %s', (dep, poolAcl, level, expected) => {
    expect(canAccessDeployment(alice, dep as AccessList | undefined, poolAcl as AccessList, level)).toBe(
      expected,
    );
  });
});

describe('effective permissions and escalation', () => {
  it('is the union of the own role and the team roles', () => {
    const custom = new Map([['deployer', ['deployment:write', 'run:create'] as Permission[]]]);
    const perms = effectivePermissions(['viewer', 'deployer'], custom);
    expect(perms.has('deployment:write')).toBe(true);
    expect(perms.has('workspace:read')).toBe(true);
    expect(perms.has('member:manage')).toBe(false);
  });

  it('an unknown custom role grants nothing', () => {
    expect(effectivePermissions(['ghost'], new Map()).size).toBe(0);
  });

  it('names what a grant would add beyond the holder', () => {
    expect(escalation(ROLE_PERMISSIONS.developer, ['run:read', 'member:manage', 'audit:read'])).toEqual([
      'audit:read',
      'member:manage',
    ]);
    expect(escalation(ROLE_PERMISSIONS.owner, ROLE_GRANTABLE_PERMISSIONS)).toEqual([]);
  });

  it('admins hold everything except provisioning through SCIM and deleting the workspace', () => {
    expect(escalation(ROLE_PERMISSIONS.admin, ROLE_GRANTABLE_PERMISSIONS).sort()).toEqual([
      'scim:manage',
      'workspace:delete',
    ]);
  });

  it('every permission a role may hold belongs to the owner role; run-token-only ones to no role', () => {
    for (const p of ROLE_GRANTABLE_PERMISSIONS) expect(ROLE_PERMISSIONS.owner.has(p)).toBe(true);
    for (const p of RUN_TOKEN_ONLY_PERMISSIONS) {
      for (const perms of Object.values(ROLE_PERMISSIONS)) expect(perms.has(p)).toBe(false);
      // Nobody holds it, so nobody can grant it through a custom role either.
      expect(escalation(ROLE_PERMISSIONS.owner, [p])).toEqual([p]);
    }
    expect(Permission.options).toContain('run:secrets');
  });
});

describe('access list schema', () => {
  it('accepts principal and team entries and refuses anything else', () => {
    expect(AccessListSchema.safeParse([{ principal: 'service_account:ci-bot', level: 'run' }]).success).toBe(
      true,
    );
    expect(AccessListSchema.safeParse([{ team: 'abc123', level: 'view' }]).success).toBe(true);
    expect(AccessListSchema.safeParse([{ principal: 'user:x', level: 'run' }]).success).toBe(false);
    expect(AccessListSchema.safeParse([{ team: 'abc123', level: 'admin' }]).success).toBe(false);
    expect(
      AccessListSchema.safeParse([{ team: 'abc123', principal: 'member:a', level: 'view' }]).success,
    ).toBe(false);
  });
});

describe('SCIM filters', () => {
  it.each([
    ['userName eq "bjensen@example.com"', 'userName', 'bjensen@example.com'],
    ['USERNAME eq "x@y.z"', 'userName', 'x@y.z'],
    [`${SCIM.user}:userName eq "a@b.c"`, 'userName', 'a@b.c'],
    ['externalId eq "00u1"', 'externalId', '00u1'],
  ])('%s', (filter, attr, value) => {
    expect(parseEqFilter(filter, ['userName', 'externalId'], SCIM.user)).toEqual({ attr, value });
  });

  it.each([
    'userName sw "b"',
    'title eq "x"',
    'userName eq "a" and externalId eq "b"',
    'userName eq',
    'emails[type eq "work"]',
  ])('refuses %s as invalidFilter', (filter) => {
    expect(() => parseEqFilter(filter, ['userName', 'externalId'], SCIM.user)).toThrow(
      expect.objectContaining({ status: 400, scimType: 'invalidFilter' }),
    );
  });
});
