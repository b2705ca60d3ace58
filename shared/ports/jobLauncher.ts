import type { CustomerCredential } from './customerAccess.js';

/** A Cloud Run job fully rendered for one run attempt (see shared/domain/jobRender.ts). */
export interface RenderedJob {
  projectId: string;
  region: string;
  /** Job id: deterministic per run attempt, valid as a Cloud Run job id. */
  jobId: string;
  /**
   * Execution token: the execution is created with the job and named
   * `{jobId}-{token}`, so a repeated launch is ALREADY_EXISTS instead of a
   * second execution.
   */
  executionToken: string;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  cpu?: string | undefined;
  memory?: string | undefined;
  timeoutSeconds: number;
  maxRetries: number;
  /** Runtime service account; undefined only when the pool explicitly chose the default compute account. */
  serviceAccount?: string | undefined;
  vpcAccess?:
    | {
        connector?: string | undefined;
        egress?: 'ALL_TRAFFIC' | 'PRIVATE_RANGES_ONLY' | undefined;
        networkInterfaces?:
          | { network?: string | undefined; subnetwork?: string | undefined; tags?: string[] | undefined }[]
          | undefined;
      }
    | undefined;
  labels: Record<string, string>;
}

export type ExecutionPhase = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface ExecutionStatus {
  /** Full resource name: projects/{p}/locations/{r}/jobs/{job}/executions/{execution}. */
  name: string;
  phase: ExecutionPhase;
  /** Cloud Run's own message for a failed or cancelled execution (exit code, timeout, …). */
  message?: string | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
}

/**
 * Launches and follows Cloud Run job executions in a customer project with the
 * customer's credential.
 *
 * Errors (all adapters translate SDK errors to these):
 * - RetryableError: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (quota), INTERNAL, network.
 * - LaunchRefusedError (NonRetriable): PERMISSION_DENIED (message names the permission), INVALID_ARGUMENT
 *   (bad spec or image), UNAUTHENTICATED (credential disabled or deleted), FAILED_PRECONDITION.
 * - NotFoundError: the job or execution does not exist.
 */
export interface JobLauncher {
  /**
   * Creates the job and starts its execution in one call. Exactly once: if the
   * job already exists (a redelivered task, or a response lost after the call
   * took effect) it resolves with the same execution instead of starting another.
   * Returns the execution's full name.
   */
  launch(
    cred: CustomerCredential,
    job: RenderedJob,
  ): Promise<{ executionName: string; alreadyExisted: boolean }>;
  getExecution(cred: CustomerCredential, executionName: string): Promise<ExecutionStatus>;
  /** Cancels a running execution; resolves if it already finished. */
  cancelExecution(cred: CustomerCredential, executionName: string): Promise<void>;
  /** Deletes a job whose execution has finished; resolves if it is already gone. */
  deleteJob(cred: CustomerCredential, projectId: string, region: string, jobId: string): Promise<void>;
}
