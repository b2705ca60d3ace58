import type { Deployment } from '../contracts/deployment.js';
import type { Run } from '../contracts/run.js';

export interface DueDeployment {
  workspace: string;
  name: string;
}

/** What one scheduler transaction writes for a deployment. */
export interface Materialization {
  /** Runs to create; one whose id already exists is left as it is. */
  runs: Run[];
  deployment: Deployment;
}

/** What an edit transaction writes: the new deployment (null deletes it). */
export interface DeploymentEdit {
  next: Deployment | null;
  /**
   * Delete the deployment's not-yet-started scheduled runs (SCHEDULED with name
   * Scheduled, first attempt, made by a schedule) whose time is after this instant.
   */
  removeScheduledAfter?: Date | undefined;
}

/**
 * The scheduler's view of deployments: the indexed due query, and the transactions
 * that keep materialised runs and the deployment's cursor in step. Both transactions
 * read the deployment document, so an edit racing a tick is serialised with it
 * (one retries) instead of duplicating or orphaning runs. All methods throw
 * RetryableError when Firestore is unreachable.
 */
export interface ScheduleStore {
  /** Deployments of every workspace with `nextMaterializeAt <= at`, earliest first, at most `limit`. */
  listDue(at: Date, limit: number): Promise<DueDeployment[]>;
  /**
   * In one transaction: reads the deployment, asks `plan` (pure; null = nothing to do),
   * creates each planned run whose id does not exist yet and writes the deployment.
   * Returns null when the deployment does not exist or `plan` returned null; otherwise
   * the deployment written and the runs actually created.
   */
  materialize(
    ws: string,
    name: string,
    plan: (current: Deployment) => Materialization | null,
  ): Promise<{ deployment: Deployment; created: Run[] } | null>;
  /**
   * In one transaction: reads the deployment, applies `edit` (pure, may throw to abort),
   * deletes the future scheduled runs it asks for, writes or deletes the deployment.
   * Returns the deployment written (null when deleted) and the runs removed.
   * Throws NotFoundError when the deployment does not exist.
   */
  editDeployment(
    ws: string,
    name: string,
    edit: (current: Deployment) => DeploymentEdit,
  ): Promise<{ deployment: Deployment | null; removed: Run[] }>;
}
