import type { FaultSpec } from './core/types.js';
import type { ServiceAccountKeyJson } from './iam/iamState.js';
import type { RunQuotas } from './run/runEmulator.js';

/** One execution as the control API shows it (env values of secret-looking names redacted). */
export interface ExecutionView {
  name: string;
  job: string;
  state: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  taskCount: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  retried: number;
  tasks: {
    index: number;
    attempt: number;
    status: string;
    exitCode: number | null;
    message?: string;
    output?: string;
  }[];
  output?: string;
  /** Process ids of the tasks running now. */
  pids: number[];
}

/** A typed client of the emulators' control API, for tests, `npm start` and scripts. */
export class EmulatorControl {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await res.json()) as T & { error?: { message?: string } };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.message ?? ''}`);
    return json;
  }

  createProject(
    projectId: string,
    projectNumber?: string,
  ): Promise<{ projectId: string; projectNumber: string }> {
    return this.call('POST', '/v1/projects', { projectId, ...(projectNumber ? { projectNumber } : {}) });
  }

  createServiceAccount(
    projectId: string,
    accountId: string,
    opts: { displayName?: string; description?: string } = {},
  ): Promise<{ email: string; uniqueId: string }> {
    return this.call('POST', `/v1/projects/${projectId}/serviceAccounts`, { accountId, ...opts });
  }

  /** Replaces a service account's description (what a customer edits in the console or Terraform). */
  async setServiceAccountDescription(projectId: string, email: string, description: string): Promise<void> {
    await this.call('PATCH', `/v1/projects/${projectId}/serviceAccounts/${encodeURIComponent(email)}`, {
      description,
    });
  }

  createKey(projectId: string, email: string): Promise<ServiceAccountKeyJson> {
    return this.call('POST', `/v1/projects/${projectId}/serviceAccounts/${encodeURIComponent(email)}/keys`);
  }

  async deleteKey(projectId: string, email: string, keyId: string): Promise<void> {
    await this.call(
      'DELETE',
      `/v1/projects/${projectId}/serviceAccounts/${encodeURIComponent(email)}/keys/${keyId}`,
    );
  }

  async setKeyEnabled(projectId: string, email: string, keyId: string, enabled: boolean): Promise<void> {
    await this.call(
      'POST',
      `/v1/projects/${projectId}/serviceAccounts/${encodeURIComponent(email)}/keys/${keyId}:${enabled ? 'enable' : 'disable'}`,
    );
  }

  /** Project-level grant of a predefined role or of a custom role given as permissions; `onServiceAccount` grants on that account only. */
  async grant(
    projectId: string,
    member: string,
    grant: { role?: string; permissions?: string[] },
    onServiceAccount?: string,
  ): Promise<void> {
    const base = onServiceAccount
      ? `/v1/projects/${projectId}/serviceAccounts/${encodeURIComponent(onServiceAccount)}`
      : `/v1/projects/${projectId}`;
    await this.call('POST', `${base}/iam:grant`, { member, ...grant });
  }

  async revoke(
    projectId: string,
    member: string,
    grant: { role?: string; permissions?: string[] },
  ): Promise<void> {
    await this.call('POST', `/v1/projects/${projectId}/iam:revoke`, { member, ...grant });
  }

  async addFault(fault: FaultSpec): Promise<void> {
    await this.call('POST', '/v1/faults', fault);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/v1/faults');
  }

  stats(): Promise<Record<string, Record<string, number>>> {
    return this.call('GET', '/v1/stats');
  }

  setQuotas(quotas: Partial<RunQuotas>): Promise<RunQuotas> {
    return this.call('POST', '/v1/quotas', quotas);
  }

  async executions(): Promise<ExecutionView[]> {
    return (await this.call<{ executions: ExecutionView[] }>('GET', '/v1/executions')).executions;
  }

  /** Makes the emulated registry lack `image`: CreateJob then fails with INVALID_ARGUMENT naming it. */
  async markImageMissing(image: string): Promise<void> {
    await this.call('POST', '/v1/images:missing', { image });
  }

  /** Every execution ever started (also those whose jobs were deleted since), oldest first. */
  async startedExecutions(): Promise<{ name: string; startedAt: string }[]> {
    return (
      await this.call<{ started: { name: string; startedAt: string }[] }>('GET', '/v1/executions:started')
    ).started;
  }

  execution(name: string): Promise<ExecutionView> {
    return this.call('GET', `/v1/executions/${name}`);
  }

  async idToken(email: string, audience: string): Promise<string> {
    return (await this.call<{ idToken: string }>('POST', '/v1/idTokens', { email, audience })).idToken;
  }
}
