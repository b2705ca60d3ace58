import type {
  CreateDeploymentRequest,
  Deployment,
  UpdateDeploymentRequest,
} from '../contracts/deployment.js';
import { RetryPolicy } from '../contracts/deployment.js';
import { InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import { checkParameterSchema, resolveParameters } from '../domain/parameters.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

export interface DeploymentDeps {
  store: WorkspaceStore;
}

async function assertPoolExists(deps: DeploymentDeps, ws: string, pool: string): Promise<void> {
  if (!(await deps.store.getWorkPool(ws, pool))) {
    throw new InvalidArgumentError(`work pool ${pool} does not exist`, [
      { field: 'workPool', issue: 'no such work pool' },
    ]);
  }
}

/** Schema and defaults must agree, or every run of the deployment would be refused. */
function checkSchemaAndDefaults(d: Pick<Deployment, 'parameterSchema' | 'parameters'>): void {
  if (d.parameterSchema === undefined) return;
  checkParameterSchema(d.parameterSchema);
  try {
    resolveParameters(d.parameterSchema, {}, d.parameters);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      // Only type errors of given defaults matter here; missing required values come with each run.
      const bad = err.details.filter((v) => {
        const key = v.field.split('.')[1];
        return key !== undefined && key in d.parameters;
      });
      if (bad.length > 0) {
        throw new InvalidArgumentError(
          'default parameters do not match the parameter schema',
          bad.map((v) => ({ field: v.field, issue: v.issue })),
        );
      }
      return;
    }
    throw err;
  }
}

export async function createDeployment(
  deps: DeploymentDeps,
  ws: string,
  req: CreateDeploymentRequest,
  now: Date,
): Promise<Deployment> {
  await assertPoolExists(deps, ws, req.workPool);
  const at = now.toISOString();
  const deployment: Deployment = {
    name: req.name,
    workPool: req.workPool,
    ...(req.description === undefined ? {} : { description: req.description }),
    ...(req.image === undefined ? {} : { image: req.image }),
    ...(req.command === undefined ? {} : { command: req.command }),
    ...(req.args === undefined ? {} : { args: req.args }),
    env: req.env ?? {},
    jobVariables: req.jobVariables ?? {},
    ...(req.parameterSchema === undefined ? {} : { parameterSchema: req.parameterSchema }),
    parameters: req.parameters ?? {},
    concurrencyLimit: req.concurrencyLimit ?? null,
    collisionStrategy: req.collisionStrategy ?? 'enqueue',
    retryPolicy: req.retryPolicy ?? RetryPolicy.parse({}),
    priority: req.priority ?? 0,
    tags: req.tags ?? [],
    paused: req.paused ?? false,
    ...(req.access == null ? {} : { access: req.access }),
    createdAt: at,
    updatedAt: at,
  };
  checkSchemaAndDefaults(deployment);
  await deps.store.createDeployment(ws, deployment);
  return deployment;
}

export async function getDeployment(deps: DeploymentDeps, ws: string, name: string): Promise<Deployment> {
  const d = await deps.store.getDeployment(ws, name);
  if (!d) throw new NotFoundError(`deployment ${name}`);
  return d;
}

export async function updateDeployment(
  deps: DeploymentDeps,
  ws: string,
  name: string,
  req: UpdateDeploymentRequest,
  now: Date,
): Promise<Deployment> {
  if (req.workPool !== undefined) await assertPoolExists(deps, ws, req.workPool);
  return deps.store.updateDeployment(ws, name, (current) => {
    const next: Deployment = { ...current, updatedAt: now.toISOString() };
    for (const [k, v] of Object.entries(req)) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    checkSchemaAndDefaults(next);
    return next;
  });
}
