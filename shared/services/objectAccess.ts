import type { Credential } from '../contracts/credential.js';
import type { Deployment } from '../contracts/deployment.js';
import type { Run } from '../contracts/run.js';
import type { Secret, SecretEnv } from '../contracts/secret.js';
import type { WorkPool } from '../contracts/workPool.js';
import { type AccessLevel, type AccessSubject, canAccess, canAccessDeployment } from '../domain/access.js';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../domain/errors.js';
import type { ObjectRequirement } from '../http/types.js';
import type { CredentialStore } from '../ports/credentialStore.js';
import type { RunStore } from '../ports/runStore.js';
import type { SecretStore } from '../ports/secretStore.js';
import type { Page, WorkspaceStore } from '../ports/workspaceStore.js';
import { accessSubject, type Principal } from './principal.js';

/**
 * Object-level access for work pools, deployments and runs. An object the
 * caller may not view answers 404 exactly like a missing one; a visible object
 * without the needed level answers 403. Runs follow their deployment (and its
 * pool): who cannot view a deployment cannot see its runs.
 *
 * Credentials follow the same rule (`object: {type: 'credential'}` on their
 * routes, the list filtered); a work pool may name a credential only if the
 * caller holds `run` on it. Secrets likewise (`type: 'secret'`); a deployment
 * may declare a secret in `secretEnv` only if the caller holds `run` on it.
 */
export class ObjectAccess {
  constructor(
    private readonly deps: {
      workspaces: WorkspaceStore;
      runs: RunStore;
      credentialStore?: CredentialStore | undefined;
      secretStore?: SecretStore | undefined;
    },
  ) {}

  /** The router's hook for routes declaring `object`. */
  async check(
    principal: Principal,
    ws: string,
    req: ObjectRequirement,
    params: Record<string, string>,
  ): Promise<void> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return;
    const name = params[req.param];
    if (name === undefined) throw new Error(`object parameter ${req.param} missing`);
    const lookup = this.lookup(ws);
    switch (req.type) {
      case 'work_pool': {
        const pool = await lookup.pool(name);
        // A missing object is the handler's 404 to give; an invisible one must look the same.
        if (pool) this.assert(subject, [pool.access], req.level, `work pool ${name}`);
        return;
      }
      case 'deployment': {
        const d = await lookup.deployment(name);
        if (d)
          this.assertDeployment(
            subject,
            d.access,
            (await lookup.pool(d.workPool))?.access,
            req.level,
            `deployment ${name}`,
          );
        return;
      }
      case 'credential': {
        const record = await this.deps.credentialStore?.get(ws, name);
        if (record) this.assert(subject, [record.credential.access], req.level, `credential ${name}`);
        return;
      }
      case 'secret': {
        const record = await this.deps.secretStore?.get(ws, name);
        if (record) this.assert(subject, [record.secret.access], req.level, `secret ${name}`);
        return;
      }
      case 'run': {
        const run = await this.deps.runs.getRun(ws, name);
        if (!run) return;
        const acls = await lookup.aclsOfRun(run);
        this.assertDeployment(subject, acls.deployment, acls.pool, req.level, `run ${name}`);
        return;
      }
    }
  }

  /** For a deployment placed in (or moved to) a pool: the caller must be able to run in it. */
  async requirePool(principal: Principal, ws: string, poolName: string): Promise<void> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return;
    const pool = await this.deps.workspaces.getWorkPool(ws, poolName);
    if (!pool) return;
    if (!canAccess(subject, pool.access, 'view')) {
      throw new InvalidArgumentError(`work pool ${poolName} does not exist`, [
        { field: 'workPool', issue: 'no such work pool' },
      ]);
    }
    if (!canAccess(subject, pool.access, 'run')) {
      throw new PermissionDeniedError(`you may not place deployments in work pool ${poolName}`);
    }
  }

  /** A work pool may name a credential only if the caller may use (`run`) it; an invisible one does not exist. */
  async requireCredential(principal: Principal, ws: string, name: string): Promise<void> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return;
    const record = await this.deps.credentialStore?.get(ws, name);
    if (!record) return;
    if (!canAccess(subject, record.credential.access, 'view')) {
      throw new InvalidArgumentError(`credential ${name} does not exist`, [
        { field: 'credential', issue: 'no such credential' },
      ]);
    }
    if (!canAccess(subject, record.credential.access, 'run')) {
      throw new PermissionDeniedError(`you may not use credential ${name}`);
    }
  }

  /**
   * A deployment may declare secrets only when each exists and its author may
   * use (`run`) it: the deployment's runs read them on the author's grant. An
   * invisible secret does not exist. Every problem is named, one per env name.
   */
  async requireSecrets(principal: Principal, ws: string, secretEnv: SecretEnv | undefined): Promise<void> {
    const entries = Object.entries(secretEnv ?? {});
    if (entries.length === 0) return;
    const store = this.deps.secretStore;
    const subject = accessSubject(principal);
    const records = await Promise.all(entries.map(([, name]) => store?.get(ws, name) ?? null));
    const missing: { field: string; issue: string }[] = [];
    const denied: string[] = [];
    entries.forEach(([env, name], i) => {
      const record = records[i];
      const acl = record?.secret.access;
      if (!record || (subject !== null && !canAccess(subject, acl, 'view'))) {
        missing.push({ field: `secretEnv.${env}`, issue: `no such secret ${name}` });
      } else if (subject !== null && !canAccess(subject, acl, 'run')) {
        denied.push(name);
      }
    });
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `secret(s) ${missing.map((m) => m.issue.slice('no such secret '.length)).join(', ')} do not exist`,
        missing,
      );
    }
    if (denied.length > 0) throw new PermissionDeniedError(`you may not use secret(s) ${denied.join(', ')}`);
  }

  visibleSecrets(principal: Principal, items: Secret[]): Secret[] {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return items;
    return items.filter((s) => canAccess(subject, s.access, 'view'));
  }

  visibleCredentials(principal: Principal, items: Credential[]): Credential[] {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return items;
    return items.filter((c) => canAccess(subject, c.access, 'view'));
  }

  async visiblePools(principal: Principal, _ws: string, page: Page<WorkPool>): Promise<Page<WorkPool>> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return page;
    return { ...page, items: page.items.filter((p) => canAccess(subject, p.access, 'view')) };
  }

  async visibleDeployments(
    principal: Principal,
    ws: string,
    page: Page<Deployment>,
  ): Promise<Page<Deployment>> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return page;
    const lookup = this.lookup(ws);
    const keep: Deployment[] = [];
    for (const d of page.items) {
      if (canAccessDeployment(subject, d.access, (await lookup.pool(d.workPool))?.access, 'view'))
        keep.push(d);
    }
    return { ...page, items: keep };
  }

  /**
   * Filters a page of runs. Pages may come back shorter than asked (AIP-158
   * allows it); the page token still continues after the last run read.
   */
  async visibleRuns(principal: Principal, ws: string, page: Page<Run>): Promise<Page<Run>> {
    const subject = accessSubject(principal);
    if (subject === null || subject.bypass) return page;
    const lookup = this.lookup(ws);
    const keep: Run[] = [];
    for (const run of page.items) {
      const acls = await lookup.aclsOfRun(run);
      if (canAccessDeployment(subject, acls.deployment, acls.pool, 'view')) keep.push(run);
    }
    return { ...page, items: keep };
  }

  private assert(
    subject: AccessSubject,
    acls: (WorkPool['access'] | undefined)[],
    level: AccessLevel,
    what: string,
  ) {
    if (!acls.every((acl) => canAccess(subject, acl, 'view'))) throw new NotFoundError(what);
    if (!acls.every((acl) => canAccess(subject, acl, level))) {
      throw new PermissionDeniedError(`your access to ${what} does not include ${level}`);
    }
  }

  private assertDeployment(
    subject: AccessSubject,
    deploymentAcl: Deployment['access'],
    poolAcl: WorkPool['access'],
    level: AccessLevel,
    what: string,
  ) {
    if (!canAccessDeployment(subject, deploymentAcl, poolAcl, 'view')) throw new NotFoundError(what);
    if (!canAccessDeployment(subject, deploymentAcl, poolAcl, level)) {
      throw new PermissionDeniedError(`your access to ${what} does not include ${level}`);
    }
  }

  /** Per-request memo: each pool and deployment is read at most once while filtering a page. */
  private lookup(ws: string) {
    const pools = new Map<string, Promise<WorkPool | null>>();
    const deployments = new Map<string, Promise<Deployment | null>>();
    const pool = (name: string) => {
      let p = pools.get(name);
      if (!p) {
        p = this.deps.workspaces.getWorkPool(ws, name);
        pools.set(name, p);
      }
      return p;
    };
    const deployment = (name: string) => {
      let d = deployments.get(name);
      if (!d) {
        d = this.deps.workspaces.getDeployment(ws, name);
        deployments.set(name, d);
      }
      return d;
    };
    return {
      pool,
      deployment,
      async aclsOfRun(run: Run) {
        const d = await deployment(run.deployment);
        // A deleted deployment's runs stay governed by the pool they ran in.
        const p = await pool(d?.workPool ?? run.workPool);
        return { deployment: d?.access, pool: p?.access };
      },
    };
  }
}
