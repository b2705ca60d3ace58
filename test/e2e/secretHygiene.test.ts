import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW, NODE, waitFor } from '../../scripts/customerProject.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import { captureStdout } from '../support/captureStdout.js';
import { setUpCloudRunWorkspace } from '../support/cloudRunWorkspace.js';
import { dumpFirestore } from '../support/firestoreDump.js';

/**
 * Secret hygiene through the running stack: collect every API response, every
 * log line the functions wrote, every Firestore document and every job and
 * execution spec the Cloud Run emulator saw, and find no private key, no API
 * key and no run token of another run in any of them.
 */
let api: ApiUnderTest;
const transcript: string[] = [];
const logLines: string[] = [];
let restoreStdout: () => void;

beforeAll(async () => {
  restoreStdout = captureStdout(logLines);
  api = await startApi({ extraEnv: { PUSHRUN_LOG_LEVEL: 'debug' } });
});
afterAll(async () => {
  restoreStdout();
  await api.close();
});

describe('secret hygiene', () => {
  it('no private key, API key or foreign run token appears anywhere', async () => {
    const call = client(api.url, transcript);
    const {
      customer,
      ownerKey: key,
      base: ws,
    } = await setUpCloudRunWorkspace(api, call, { projectId: 'hygiene-proj' });
    const privateKey = String(customer.key.private_key);
    const keyBody = privateKey.split('\n')[1] as string; // a line of the base64 body
    // A bad registration echoes nothing of the key either.
    await call('POST', `${ws}/credentials`, {
      key,
      body: {
        name: 'bad',
        kind: 'service_account_key',
        projectId: customer.projectId,
        serviceAccountKey: { ...customer.key, type: 'authorized_user' },
      },
    });
    await call('POST', `${ws}/deployments`, {
      key,
      body: { name: 'etl', workPool: 'cr', image: 'x/etl:1', command: [NODE], args: [FLOW] },
    });
    const sa = await call('POST', `${ws}/service-accounts`, { key, body: { name: 'ci', role: 'runner' } });
    expect(sa.status).toBe(201);
    const ciKey: string = (await call('POST', `${ws}/service-accounts/ci/keys`, { key, body: {} })).body.key;
    const runs = await Promise.all(
      [1, 2, 3].map(() => call('POST', `${ws}/deployments/etl/runs`, { key: ciKey, body: {} })),
    );
    // Jobs (and so their executions) are deleted once they end: collect the specs while they run.
    const seen = new Map<string, unknown>();
    await waitFor('runs to complete', async () => {
      for (const e of await api.stack.control.executions()) seen.set(e.name, e);
      const states = await Promise.all(runs.map((r) => call('GET', `${ws}/runs/${r.body.id}`, { key })));
      return states.every((s) => s.body.state.type === 'COMPLETED') ? true : undefined;
    });
    await call('GET', `${ws}/credentials`, { key });
    await call('GET', `${ws}/credentials/gcp`, { key });

    // The emulator's view of each job and execution spec (env values of secret-looking names redacted).
    const executions = [...seen.values()];
    const specs = JSON.stringify(executions);
    const docs = (await dumpFirestore(api.projectId)).map((d) => d.json).join('\n');
    const responses = transcript.join('\n');
    const logs = logLines.join('');

    const haystacks = { responses, logs, firestore: docs, specs };
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text, `${where} contains the private key`).not.toContain(keyBody);
      expect(text, `${where} contains a PEM`).not.toContain('PRIVATE KEY-----');
    }
    // An API key appears in exactly one response — the one that created it — and nowhere else.
    for (const k of [key, ciKey]) {
      expect(transcript.filter((t) => t.includes(k.slice(-40)))).toHaveLength(1);
      for (const where of ['logs', 'firestore', 'specs'] as const) {
        expect(haystacks[where], `${where} contains an API key`).not.toContain(k.slice(-40));
      }
    }
    // The only place a run token may exist is its own execution's environment, and the
    // emulator's listing shows it redacted: no JWT appears in Firestore, logs or responses.
    for (const [where, text] of Object.entries({ responses, logs, firestore: docs })) {
      expect(text, `${where} contains a JWT`).not.toMatch(
        /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
      );
    }
    expect(executions.length).toBeGreaterThanOrEqual(1);
    for (const e of executions) {
      expect(JSON.stringify(e)).not.toContain('prk_');
      expect((e as { env: Record<string, string> }).env.PUSHRUN_RUN_ID).toBeDefined();
    }
    expect(logs.length).toBeGreaterThan(0);
  }, 120_000);
});
