import {
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  randomInt,
  verify,
} from 'node:crypto';
import { promisify } from 'node:util';
import { ApiError } from '../core/errors.js';
import { permissionsOfRole } from './roles.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Who made a call, once their credential verified. */
export interface Principal {
  email: string;
  /** IAM member string, e.g. `serviceAccount:sa@p.iam.gserviceaccount.com`. */
  member: string;
  /** How the call was authenticated. */
  via: 'service-account-key' | 'access-token';
}

interface Grants {
  /** member → roles (a custom role is stored as `custom:<perm,perm>`). */
  roles: Map<string, Set<string>>;
  /** member → permissions from custom roles given as explicit lists. */
  permissions: Map<string, Set<string>>;
}

interface Project {
  projectId: string;
  projectNumber: string;
  createTime: string;
  grants: Grants;
}

interface ServiceAccountKey {
  keyId: string;
  publicKey: KeyObject;
  publicKeyPem: string;
  disabled: boolean;
  validAfterTime: string;
}

interface ServiceAccount {
  email: string;
  projectId: string;
  uniqueId: string;
  displayName: string;
  description: string;
  keys: Map<string, ServiceAccountKey>;
  grants: Grants;
}

interface AccessToken {
  email: string;
  expiresAtMs: number;
  scopes: string[];
}

/** The shape Google issues for `gcloud iam service-accounts keys create`. */
export interface ServiceAccountKeyJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

const UNAUTHENTICATED_MESSAGE =
  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const INVALID_CREDENTIALS_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** Longest a self-signed service-account JWT may live, as Google enforces. */
const MAX_JWT_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 300;

const newGrants = (): Grants => ({ roles: new Map(), permissions: new Map() });

export interface IamSnapshot {
  projects: { projectId: string; projectNumber: string; createTime: string; grants: SerializedGrants }[];
  serviceAccounts: {
    email: string;
    projectId: string;
    uniqueId: string;
    displayName: string;
    /** Absent in snapshots written before descriptions existed. */
    description?: string;
    keys: { keyId: string; publicKeyPem: string; disabled: boolean; validAfterTime: string }[];
    grants: SerializedGrants;
  }[];
}
type SerializedGrants = { roles: Record<string, string[]>; permissions: Record<string, string[]> };

/** Projects, service accounts, keys, grants and minted tokens of the emulated IAM. */
export class IamState {
  private readonly projects = new Map<string, Project>();
  private readonly serviceAccounts = new Map<string, ServiceAccount>();
  private readonly tokens = new Map<string, AccessToken>();

  createProject(projectId: string, projectNumber?: string): Project {
    if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId)) {
      throw new ApiError(
        3,
        `Invalid project id '${projectId}': 6 to 30 lowercase letters, digits or hyphens.`,
      );
    }
    if (this.projects.has(projectId)) throw new ApiError(6, `Project '${projectId}' already exists.`);
    const project: Project = {
      projectId,
      projectNumber: projectNumber ?? String(randomInt(100_000_000_000, 999_999_999_999)),
      createTime: new Date().toISOString(),
      grants: newGrants(),
    };
    this.projects.set(projectId, project);
    return project;
  }

  /** By project id or project number. */
  findProject(idOrNumber: string): Project | undefined {
    const direct = this.projects.get(idOrNumber);
    if (direct) return direct;
    for (const p of this.projects.values()) if (p.projectNumber === idOrNumber) return p;
    return undefined;
  }

  requireProject(projectId: string): Project {
    const project = this.findProject(projectId);
    if (!project) throw new ApiError(5, `Project '${projectId}' not found.`);
    return project;
  }

  createServiceAccount(
    projectId: string,
    accountId: string,
    displayName = '',
    description = '',
  ): ServiceAccount {
    const project = this.requireProject(projectId);
    if (!/^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/.test(accountId)) {
      throw new ApiError(
        3,
        `Invalid accountId '${accountId}': 6 to 30 lowercase letters, digits or hyphens, starting with a letter.`,
      );
    }
    const email = `${accountId}@${project.projectId}.iam.gserviceaccount.com`;
    if (this.serviceAccounts.has(email)) throw new ApiError(6, `Service account ${email} already exists.`);
    const sa: ServiceAccount = {
      email,
      projectId: project.projectId,
      uniqueId: `1${String(randomInt(1_000_000_000, 9_999_999_999))}${String(randomInt(1_000_000_000, 9_999_999_999))}`,
      displayName,
      description: checkedDescription(description),
      keys: new Map(),
      grants: newGrants(),
    };
    this.serviceAccounts.set(email, sa);
    return sa;
  }

  findServiceAccount(email: string): ServiceAccount | undefined {
    return this.serviceAccounts.get(email);
  }

  requireServiceAccount(projectId: string, email: string): ServiceAccount {
    const sa = this.serviceAccounts.get(email);
    if (!sa || (projectId !== '-' && this.findProject(projectId)?.projectId !== sa.projectId)) {
      throw new ApiError(5, `Service account ${email} not found in project '${projectId}'.`);
    }
    return sa;
  }

  /** Sets the description, as `projects.serviceAccounts.patch` with update mask `description` would. */
  setDescription(projectId: string, email: string, description: string): ServiceAccount {
    const sa = this.requireServiceAccount(projectId, email);
    sa.description = checkedDescription(description);
    return sa;
  }

  async createKey(projectId: string, email: string): Promise<ServiceAccountKeyJson> {
    const sa = this.requireServiceAccount(projectId, email);
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    sa.keys.set(keyId, {
      keyId,
      publicKey,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      disabled: false,
      validAfterTime: new Date().toISOString(),
    });
    return {
      type: 'service_account',
      project_id: sa.projectId,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: sa.email,
      client_id: sa.uniqueId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(sa.email)}`,
      universe_domain: 'googleapis.com',
    };
  }

  deleteKey(projectId: string, email: string, keyId: string): void {
    const sa = this.requireServiceAccount(projectId, email);
    if (!sa.keys.delete(keyId)) throw new ApiError(5, `Key ${keyId} not found for ${email}.`);
  }

  setKeyDisabled(projectId: string, email: string, keyId: string, disabled: boolean): void {
    const sa = this.requireServiceAccount(projectId, email);
    const key = sa.keys.get(keyId);
    if (!key) throw new ApiError(5, `Key ${keyId} not found for ${email}.`);
    key.disabled = disabled;
  }

  listKeys(projectId: string, email: string): { keyId: string; disabled: boolean; validAfterTime: string }[] {
    const sa = this.requireServiceAccount(projectId, email);
    return [...sa.keys.values()].map((k) => ({
      keyId: k.keyId,
      disabled: k.disabled,
      validAfterTime: k.validAfterTime,
    }));
  }

  /** Grants a predefined role, or a custom role given as a permission list, at project or service-account level. */
  grant(
    target: { projectId: string; serviceAccount?: string },
    member: string,
    grant: { role?: string; permissions?: string[] },
  ): void {
    const grants = this.grantsOf(target);
    if (grant.role) {
      if (!permissionsOfRole(grant.role) && !grant.permissions) {
        throw new ApiError(3, `Role ${grant.role} is not supported; give its permissions as a custom role.`);
      }
      addTo(grants.roles, member, grant.role);
    }
    for (const p of grant.permissions ?? []) addTo(grants.permissions, member, p);
  }

  revoke(
    target: { projectId: string; serviceAccount?: string },
    member: string,
    grant: { role?: string; permissions?: string[] },
  ): void {
    const grants = this.grantsOf(target);
    if (grant.role) grants.roles.get(member)?.delete(grant.role);
    for (const p of grant.permissions ?? []) grants.permissions.get(member)?.delete(p);
  }

  private grantsOf(target: { projectId: string; serviceAccount?: string }): Grants {
    return target.serviceAccount
      ? this.requireServiceAccount(target.projectId, target.serviceAccount).grants
      : this.requireProject(target.projectId).grants;
  }

  /** Whether `member` holds `permission` on the project (or, for a service account resource, on it or its project). */
  hasPermission(
    member: string,
    permission: string,
    on: { projectId: string; serviceAccount?: string },
  ): boolean {
    const project = this.findProject(on.projectId);
    const sources: Grants[] = [];
    if (project) sources.push(project.grants);
    if (on.serviceAccount) {
      const sa = this.serviceAccounts.get(on.serviceAccount);
      if (!sa) return false;
      sources.push(sa.grants);
      const saProject = this.findProject(sa.projectId);
      if (saProject && saProject !== project) sources.push(saProject.grants);
    }
    return sources.some((g) => grantsHave(g, member, permission));
  }

  /** PERMISSION_DENIED naming the permission, as Google words it, unless the principal holds it. */
  authorize(principal: Principal, permission: string, projectId: string, resource: string): void {
    if (!this.hasPermission(principal.member, permission, { projectId })) {
      throw new ApiError(
        7,
        `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'iam.googleapis.com',
            metadata: { permission, resource },
          },
        ],
      );
    }
  }

  /** Checks `iam.serviceAccounts.actAs` of the caller on a runtime service account. */
  authorizeActAs(principal: Principal, serviceAccount: string): void {
    const sa = this.serviceAccounts.get(serviceAccount);
    if (
      !sa ||
      !this.hasPermission(principal.member, 'iam.serviceAccounts.actAs', {
        projectId: sa.projectId,
        serviceAccount,
      })
    ) {
      throw new ApiError(
        7,
        `Permission 'iam.serviceAccounts.actAs' denied on service account ${serviceAccount} (or it may not exist).`,
      );
    }
  }

  /** Verifies the Authorization header of a call; UNAUTHENTICATED (16) when absent or invalid. */
  authenticate(authorization: string | undefined, nowMs = Date.now()): Principal {
    if (!authorization) throw new ApiError(16, UNAUTHENTICATED_MESSAGE);
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) throw new ApiError(16, UNAUTHENTICATED_MESSAGE);
    const token = m[1]!;
    const minted = this.tokens.get(token);
    if (minted) {
      if (minted.expiresAtMs <= nowMs) {
        this.tokens.delete(token);
        throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE, [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_EXPIRED',
            domain: 'googleapis.com',
          },
        ]);
      }
      if (!this.serviceAccounts.has(minted.email)) throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
      return { email: minted.email, member: `serviceAccount:${minted.email}`, via: 'access-token' };
    }
    return this.verifySelfSignedJwt(token, nowMs);
  }

  private verifySelfSignedJwt(token: string, nowMs: number): Principal {
    const parts = token.split('.');
    if (parts.length !== 3) throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
    let header: { alg?: string; kid?: string };
    let claims: { iss?: string; sub?: string; exp?: number; iat?: number; aud?: string; scope?: string };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
    }
    if (header.alg !== 'RS256' || !claims.iss || claims.iss !== claims.sub) {
      throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
    }
    const sa = this.serviceAccounts.get(claims.iss);
    if (!sa) throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
    const now = Math.floor(nowMs / 1000);
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      claims.exp <= now ||
      claims.iat > now + CLOCK_SKEW_S ||
      claims.exp - claims.iat > MAX_JWT_LIFETIME_S
    ) {
      throw new ApiError(
        16,
        `${INVALID_CREDENTIALS_MESSAGE} (JWT expired or lifetime over ${MAX_JWT_LIFETIME_S}s)`,
      );
    }
    if (!claims.aud && !claims.scope) throw new ApiError(16, INVALID_CREDENTIALS_MESSAGE);
    const candidates = header.kid ? [sa.keys.get(header.kid)] : [...sa.keys.values()];
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2]!, 'base64url');
    for (const key of candidates) {
      if (!key) continue;
      if (!verify('RSA-SHA256', signed, key.publicKey, signature)) continue;
      if (key.disabled)
        throw new ApiError(16, `${INVALID_CREDENTIALS_MESSAGE} (the key ${key.keyId} is disabled)`);
      return { email: sa.email, member: `serviceAccount:${sa.email}`, via: 'service-account-key' };
    }
    // Deleted keys and foreign keys end here alike, as with Google ("Invalid JWT Signature").
    throw new ApiError(16, `${INVALID_CREDENTIALS_MESSAGE} (invalid JWT signature)`);
  }

  mintAccessToken(
    email: string,
    scopes: string[],
    lifetimeSeconds: number,
    nowMs = Date.now(),
  ): { token: string; expiresAtMs: number } {
    const token = `ya29.emu-${randomBytes(32).toString('base64url')}`;
    const expiresAtMs = nowMs + lifetimeSeconds * 1000;
    this.tokens.set(token, { email, expiresAtMs, scopes });
    for (const [t, v] of this.tokens) if (v.expiresAtMs <= nowMs) this.tokens.delete(t);
    return { token, expiresAtMs };
  }

  snapshot(): IamSnapshot {
    return {
      projects: [...this.projects.values()].map((p) => ({
        projectId: p.projectId,
        projectNumber: p.projectNumber,
        createTime: p.createTime,
        grants: serializeGrants(p.grants),
      })),
      serviceAccounts: [...this.serviceAccounts.values()].map((sa) => ({
        email: sa.email,
        projectId: sa.projectId,
        uniqueId: sa.uniqueId,
        displayName: sa.displayName,
        description: sa.description,
        keys: [...sa.keys.values()].map((k) => ({
          keyId: k.keyId,
          publicKeyPem: k.publicKeyPem,
          disabled: k.disabled,
          validAfterTime: k.validAfterTime,
        })),
        grants: serializeGrants(sa.grants),
      })),
    };
  }

  restore(snapshot: IamSnapshot): void {
    for (const p of snapshot.projects) {
      this.projects.set(p.projectId, { ...p, grants: deserializeGrants(p.grants) });
    }
    for (const sa of snapshot.serviceAccounts) {
      this.serviceAccounts.set(sa.email, {
        ...sa,
        description: sa.description ?? '',
        keys: new Map(sa.keys.map((k) => [k.keyId, { ...k, publicKey: createPublicKey(k.publicKeyPem) }])),
        grants: deserializeGrants(sa.grants),
      });
    }
  }
}

/** Google limits a service account's description to 256 characters. */
function checkedDescription(description: string): string {
  if (description.length > 256) {
    throw new ApiError(3, 'The description of a service account must be at most 256 characters.');
  }
  return description;
}

function addTo(map: Map<string, Set<string>>, member: string, value: string): void {
  let set = map.get(member);
  if (!set) {
    set = new Set();
    map.set(member, set);
  }
  set.add(value);
}

function grantsHave(grants: Grants, member: string, permission: string): boolean {
  if (grants.permissions.get(member)?.has(permission)) return true;
  for (const role of grants.roles.get(member) ?? []) {
    if (permissionsOfRole(role)?.includes(permission)) return true;
  }
  return false;
}

function serializeGrants(g: Grants): SerializedGrants {
  const conv = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v]]));
  return { roles: conv(g.roles), permissions: conv(g.permissions) };
}

function deserializeGrants(g: SerializedGrants): Grants {
  const conv = (r: Record<string, string[]>) => new Map(Object.entries(r).map(([k, v]) => [k, new Set(v)]));
  return { roles: conv(g.roles), permissions: conv(g.permissions) };
}
