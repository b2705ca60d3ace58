import type { CreateWorkPoolRequest, UpdateWorkPoolRequest, WorkPool } from '../contracts/workPool.js';
import { NotFoundError } from '../domain/errors.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

export interface WorkPoolDeps {
  store: WorkspaceStore;
  /** Checks that a named credential exists and may be used by a pool; throws a 4xx error otherwise. */
  checkCredential?:
    | ((
        ws: string,
        name: string,
        pool: { projectId?: string | undefined; serviceAccount?: string | undefined },
      ) => Promise<void>)
    | undefined;
}

export async function createWorkPool(
  deps: WorkPoolDeps,
  ws: string,
  req: CreateWorkPoolRequest,
  now: Date,
): Promise<WorkPool> {
  if (req.credential !== undefined && deps.checkCredential) {
    await deps.checkCredential(ws, req.credential, {
      projectId: req.projectId,
      serviceAccount: req.baseJobTemplate.serviceAccount,
    });
  }
  const at = now.toISOString();
  const pool: WorkPool = { ...req, createdAt: at, updatedAt: at };
  await deps.store.createWorkPool(ws, pool);
  return pool;
}

export async function getWorkPool(deps: WorkPoolDeps, ws: string, name: string): Promise<WorkPool> {
  const pool = await deps.store.getWorkPool(ws, name);
  if (!pool) throw new NotFoundError(`work pool ${name}`);
  return pool;
}

export async function updateWorkPool(
  deps: WorkPoolDeps,
  ws: string,
  name: string,
  req: UpdateWorkPoolRequest,
  now: Date,
): Promise<WorkPool> {
  if (
    deps.checkCredential &&
    (req.credential !== undefined || req.projectId !== undefined || req.baseJobTemplate)
  ) {
    const current = await getWorkPool(deps, ws, name);
    const credential = req.credential ?? current.credential;
    if (credential !== undefined) {
      await deps.checkCredential(ws, credential, {
        projectId: req.projectId ?? current.projectId,
        serviceAccount: (req.baseJobTemplate ?? current.baseJobTemplate).serviceAccount,
      });
    }
  }
  return deps.store.updateWorkPool(ws, name, (current) => {
    const next: WorkPool = { ...current, updatedAt: now.toISOString() };
    for (const [k, v] of Object.entries(req)) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    return next;
  });
}
