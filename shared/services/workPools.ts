import type { CreateWorkPoolRequest, UpdateWorkPoolRequest, WorkPool } from '../contracts/workPool.js';
import { NotFoundError } from '../domain/errors.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

export interface WorkPoolDeps {
  store: WorkspaceStore;
  /** Checks that a named credential exists and may be used by a pool; throws a 4xx error otherwise. */
  checkCredential?: ((ws: string, name: string, projectId: string | undefined) => Promise<void>) | undefined;
}

export async function createWorkPool(
  deps: WorkPoolDeps,
  ws: string,
  req: CreateWorkPoolRequest,
  now: Date,
): Promise<WorkPool> {
  if (req.credential !== undefined && deps.checkCredential)
    await deps.checkCredential(ws, req.credential, req.projectId);
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
  if (req.credential !== undefined && deps.checkCredential)
    await deps.checkCredential(ws, req.credential, req.projectId);
  return deps.store.updateWorkPool(ws, name, (current) => {
    const next: WorkPool = { ...current, updatedAt: now.toISOString() };
    for (const [k, v] of Object.entries(req)) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    return next;
  });
}
