import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowImpersonation,
  type CustomerProject,
  FLOW,
  NODE,
  onboardCustomer,
  SILENT,
  waitFor,
} from '../../scripts/customerProject.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import { setUpCloudRunWorkspace } from '../support/cloudRunWorkspace.js';
import { dumpFirestore } from '../support/firestoreDump.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let key: string;
let customer: CustomerProject;
const ws = '/v1/workspaces/acme';
const TERMINAL = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'];

async function runToEnd(deployment: string, parameters: Record<string, unknown> = {}, timeoutMs = 60_000) {
  const created = await call('POST', `${ws}/deployments/${deployment}/runs`, { key, body: { parameters } });
  expect(created.status).toBe(201);
  return waitFor(
    `run ${created.body.id} to finish`,
    async () => {
      const r = await call('GET', `${ws}/runs/${created.body.id}`, { key });
      return TERMINAL.includes(r.body.state.type) ? r.body : undefined;
    },
    timeoutMs,
  );
}

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  const setup = await setUpCloudRunWorkspace(api, call, {
    baseJobTemplate: { memory: '512Mi', timeoutSeconds: 120 },
  });
  key = setup.ownerKey;
  customer = setup.customer;
  const image = 'europe-docker.pkg.dev/acme-data/flows/etl:1';
  for (const [name, command, args] of [
    ['etl', [NODE], [FLOW]],
    ['etl-fails', [NODE], [FLOW, '--fail']],
    ['silent-ok', [NODE], [SILENT, '0']],
    ['silent-crash', [NODE], [SILENT, '3']],
    ['sleeper', [NODE], [SILENT, '0', '60000']],
  ] as const) {
    const d = await call('POST', `${ws}/deployments`, {
      key,
      body: { name, workPool: 'cr', image, command, args, parameters: { rows: 5 } },
    });
    expect(d.status, d.text).toBe(201);
  }
});
afterAll(() => api.close());

describe('push execution end to end', () => {
  it('a triggered run reaches COMPLETED with the example flow’s logs and task runs', async () => {
    const run = await runToEnd('etl');
    expect(run.state).toMatchObject({ type: 'COMPLETED' });
    expect(run.execution.name).toMatch(
      /^projects\/acme-data\/locations\/europe-west1\/jobs\/pr-.*\/executions\/pr-/,
    );
    const logs = await call('GET', `${ws}/runs/${run.id}/logs`, { key });
    const messages = logs.body.items.map((l: { message: string }) => l.message);
    expect(messages).toEqual(expect.arrayContaining(['extracted 5 rows', 'loaded 5 rows', 'etl finished']));
    const tasks = await call('GET', `${ws}/runs/${run.id}/task-runs`, { key });
    expect(tasks.body.items.map((t: { name: string; state: string }) => [t.name, t.state]).sort()).toEqual([
      ['extract', 'COMPLETED'],
      ['load', 'COMPLETED'],
    ]);
    const states = await call('GET', `${ws}/runs/${run.id}/states`, { key });
    expect(states.body.items.map((s: { type: string }) => s.type)).toEqual([
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);
  });

  it('a failing flow ends FAILED with its own message', async () => {
    const run = await runToEnd('etl-fails');
    expect(run.state).toMatchObject({ type: 'FAILED', message: 'warehouse refused the load' });
  });

  it('a container that reports nothing is finished by the monitor: exit 0 → COMPLETED, exit 3 → CRASHED', async () => {
    const ok = await runToEnd('silent-ok');
    expect(ok.state.type).toBe('COMPLETED');
    const crashed = await runToEnd('silent-crash');
    expect(crashed.state.type).toBe('CRASHED');
    expect(crashed.state.message).toMatch(/exit code of 3/);
  });

  it('cancelling a running run ends CANCELLED and its process is gone', async () => {
    const created = await call('POST', `${ws}/deployments/sleeper/runs`, { key, body: {} });
    const running = await waitFor('the sleeper to run', async () => {
      const r = await call('GET', `${ws}/runs/${created.body.id}`, { key });
      return r.body.state.type === 'RUNNING' ? r.body : undefined;
    });
    const { pids } = await waitFor('the process to start', async () => {
      const e = await api.stack.control.execution(running.execution.name);
      return e.pids.length > 0 ? e : undefined;
    });
    const c = await call('POST', `${ws}/runs/${running.id}/cancel`, { key });
    expect(c.body.state.type).toBe('CANCELLING');
    const done = await waitFor('the cancellation', async () => {
      const r = await call('GET', `${ws}/runs/${running.id}`, { key });
      return r.body.state.type === 'CANCELLED' ? r.body : undefined;
    });
    expect(done.state.type).toBe('CANCELLED');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor('the process to be gone', async () => (pids.some(alive) ? undefined : true), 10_000);
    expect(pids.some(alive)).toBe(false);
  });

  it('a credential whose role was revoked fails the run naming the missing permission', async () => {
    const other = await onboardCustomer(api.stack.control, 'acme-revoked', 'revoked-launcher');
    await call('POST', `${ws}/credentials`, {
      key,
      body: {
        name: 'gcp-revoked',
        kind: 'service_account_key',
        projectId: other.projectId,
        serviceAccountKey: other.key,
      },
    });
    await call('POST', `${ws}/work-pools`, {
      key,
      body: {
        name: 'cr-revoked',
        kind: 'cloud-run',
        credential: 'gcp-revoked',
        projectId: other.projectId,
        region: 'europe-west1',
        baseJobTemplate: { serviceAccount: other.runtimeEmail },
      },
    });
    await call('POST', `${ws}/deployments`, {
      key,
      body: { name: 'revoked', workPool: 'cr-revoked', image: 'x/y:1', command: [NODE], args: [SILENT, '0'] },
    });
    await api.stack.control.revoke(other.projectId, `serviceAccount:${other.launcherEmail}`, {
      permissions: ['run.jobs.create'],
    });
    const run = await runToEnd('revoked');
    expect(run.state.type).toBe('FAILED');
    expect(run.state.message).toContain('run.jobs.create');
    const verify = await call('POST', `${ws}/credentials/gcp-revoked/verify`, { key, body: {} });
    expect(verify.body.ok).toBe(false);
    expect(verify.body.missingPermissions).toContain('run.jobs.create');
  });

  it('an impersonation credential launches with no key stored', async () => {
    const keyless = await onboardCustomer(api.stack.control, 'acme-keyless', 'keyless-launcher');
    await allowImpersonation(api.stack.control, keyless);
    const cred = await call('POST', `${ws}/credentials`, {
      key,
      body: {
        name: 'keyless',
        kind: 'impersonation',
        projectId: keyless.projectId,
        serviceAccountEmail: keyless.launcherEmail,
      },
    });
    expect(cred.status, cred.text).toBe(201);
    await call('POST', `${ws}/work-pools`, {
      key,
      body: {
        name: 'cr-keyless',
        kind: 'cloud-run',
        credential: 'keyless',
        projectId: keyless.projectId,
        region: 'europe-west1',
        baseJobTemplate: { serviceAccount: keyless.runtimeEmail },
      },
    });
    await call('POST', `${ws}/deployments`, {
      key,
      body: { name: 'keyless-etl', workPool: 'cr-keyless', image: 'x/y:1', command: [NODE], args: [FLOW] },
    });
    const run = await runToEnd('keyless-etl');
    expect(run.state.type).toBe('COMPLETED');
    const doc = (await dumpFirestore(api.projectId)).find((d) => d.name.endsWith('/credentials/keyless'));
    expect(doc).toBeDefined();
    expect(doc?.json).not.toContain('sealed');
    expect(doc?.json).not.toContain('PRIVATE KEY');
  });

  it('a credential with an access list is invisible to others and cannot be named by their pools', async () => {
    await call('POST', `${ws}/service-accounts`, { key, body: { name: 'dev-bot', role: 'developer' } });
    const devKey = (await call('POST', `${ws}/service-accounts/dev-bot/keys`, { key, body: {} })).body.key;
    expect((await call('GET', `${ws}/credentials/gcp`, { key: devKey })).status).toBe(200);
    const members = await call('GET', `${ws}/members`, { key });
    const owner = members.body.items.find((m: { role: string }) => m.role === 'owner');
    const restricted = await call('PATCH', `${ws}/credentials/gcp`, {
      key,
      body: { access: [{ principal: `member:${owner.id}`, level: 'manage' }] },
    });
    expect(restricted.status, restricted.text).toBe(200);
    expect((await call('GET', `${ws}/credentials/gcp`, { key: devKey })).status).toBe(404);
    const list = await call('GET', `${ws}/credentials`, { key: devKey });
    expect(list.body.items.map((c: { name: string }) => c.name)).not.toContain('gcp');
    const pool = await call('POST', `${ws}/work-pools`, {
      key: devKey,
      body: {
        name: 'sneaky',
        kind: 'cloud-run',
        credential: 'gcp',
        projectId: customer.projectId,
        region: 'europe-west1',
        baseJobTemplate: { serviceAccount: customer.runtimeEmail },
      },
    });
    expect(pool.status).toBe(400);
    expect(pool.body.error.details[0].field).toBe('credential');
    expect((await call('GET', `${ws}/credentials/gcp`, { key })).status).toBe(200);
  });

  it('a missing image fails the run at once, naming the image (no polling for hours)', async () => {
    const image = 'europe-docker.pkg.dev/acme-data/flows/does-not-exist:9';
    await api.stack.control.markImageMissing(image);
    await call('POST', `${ws}/deployments`, {
      key,
      body: { name: 'no-image', workPool: 'cr', image, command: [NODE], args: [SILENT, '0'] },
    });
    const run = await runToEnd('no-image', {}, 20_000);
    expect(run.state.type).toBe('FAILED');
    expect(run.state.message).toContain(image);
    expect(run.execution).toBeUndefined();
  });

  it('a run past its Cloud Run timeout ends CRASHED with the timeout reason, not stuck RUNNING', async () => {
    await call('POST', `${ws}/deployments`, {
      key,
      body: {
        name: 'too-slow',
        workPool: 'cr',
        image: 'x/slow:1',
        command: [NODE],
        args: [SILENT, '0', '30000'],
        jobVariables: { timeoutSeconds: 2 },
      },
    });
    const run = await runToEnd('too-slow', {}, 30_000);
    expect(run.state.type).toBe('CRASHED');
    expect(run.state.message).toMatch(/timeout/i);
  });

  it('finished runs leave no job behind in the customer region', async () => {
    const live = await waitFor(
      'jobs to be cleaned up',
      async () => {
        const executions = await api.stack.control.executions();
        const active = executions.filter((e) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.state));
        return executions.length === active.length ? executions : undefined;
      },
      30_000,
    );
    expect(live.filter((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.state))).toEqual([]);
  });
});
