import { expect } from 'vitest';
import { type CustomerProject, onboardCustomer } from '../../scripts/customerProject.js';
import type { ApiUnderTest, client } from './apiServer.js';

type Call = ReturnType<typeof client>;

export interface CloudRunWorkspace {
  ws: string;
  /** `/v1/workspaces/{ws}` */
  base: string;
  ownerKey: string;
  customer: CustomerProject;
}

/**
 * A workspace wired to an emulated customer project as a customer would set it
 * up: the project onboarded (launcher with pushrun's permissions, runtime
 * account, key), a `service_account_key` credential and a `cloud-run` pool.
 */
export async function setUpCloudRunWorkspace(
  api: ApiUnderTest,
  call: Call,
  opts: {
    ws?: string;
    projectId?: string;
    credential?: string;
    pool?: string;
    baseJobTemplate?: Record<string, unknown>;
  } = {},
): Promise<CloudRunWorkspace> {
  const ws = opts.ws ?? 'acme';
  const base = `/v1/workspaces/${ws}`;
  const customer = await onboardCustomer(api.stack.control, opts.projectId ?? `${ws}-data`);
  const created = await call('POST', '/v1/workspaces', {
    key: api.adminKey,
    body: { name: ws, ownerEmail: `owner@${ws}.test` },
  });
  expect(created.status, created.text).toBe(201);
  const ownerKey: string = created.body.apiKey.key;
  const credential = opts.credential ?? 'gcp';
  const cred = await call('POST', `${base}/credentials`, {
    key: ownerKey,
    body: {
      name: credential,
      kind: 'service_account_key',
      projectId: customer.projectId,
      serviceAccountKey: customer.key,
    },
  });
  expect(cred.status, cred.text).toBe(201);
  const pool = await call('POST', `${base}/work-pools`, {
    key: ownerKey,
    body: {
      name: opts.pool ?? 'cr',
      kind: 'cloud-run',
      credential,
      projectId: customer.projectId,
      region: 'europe-west1',
      baseJobTemplate: { serviceAccount: customer.runtimeEmail, ...opts.baseJobTemplate },
    },
  });
  expect(pool.status, pool.text).toBe(201);
  return { ws, base, ownerKey, customer };
}

/** Polls a run until it is terminal; returns it. */
export async function waitForTerminal(
  call: Call,
  base: string,
  key: string,
  runId: string,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call('GET', `${base}/runs/${runId}`, { key });
    if (['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'].includes(r.body?.state?.type)) return r.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish in ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
