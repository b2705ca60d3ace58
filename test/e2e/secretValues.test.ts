import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW, NODE, waitFor } from '../../scripts/customerProject.js';
import { RunTokenSigner } from '../../shared/domain/runTokens.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import { captureStdout } from '../support/captureStdout.js';
import { setUpCloudRunWorkspace } from '../support/cloudRunWorkspace.js';
import { dumpFirestore } from '../support/firestoreDump.js';

/**
 * Secret values through the running stack: a run whose deployment declares
 * `secretEnv` gets the values from the API with its run token (and from
 * nowhere else), and no value appears in any other API response, any log line
 * of the functions or the container, any Firestore document, or any Cloud Run
 * job/execution spec.
 */
const PROBE = resolve(import.meta.dirname, 'flows/secretProbe.mjs');
const TERMINAL = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'];
const ws = '/v1/workspaces/acme';
const DSN = `postgres://etl:${randomBytes(24).toString('hex')}@db/warehouse`;
const API_TOKEN = `tok-${randomBytes(24).toString('hex')}`;
const ROTATED = `rot-${randomBytes(24).toString('hex')}`;
const VALUES = [DSN, API_TOKEN, ROTATED];
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let key: string;
const transcript: string[] = [];
const logLines: string[] = [];
let restoreStdout: () => void;
/**
 * Jobs are deleted once their execution ends, so specs are collected while runs
 * are in flight: the latest view of every execution seen (env and container output).
 */
const seen = new Map<string, unknown>();
let collecting = true;
let collector: Promise<void> | undefined;
async function collectExecutions(): Promise<void> {
  while (collecting) {
    for (const e of await api.stack.control.executions().catch(() => [])) seen.set(e.name, e);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runToEnd(deployment: string, parameters: Record<string, unknown> = {}) {
  const created = await call('POST', `${ws}/deployments/${deployment}/runs`, { key, body: { parameters } });
  expect(created.status, created.text).toBe(201);
  return waitFor(`run ${created.body.id} to finish`, async () => {
    const r = await call('GET', `${ws}/runs/${created.body.id}`, { key });
    return TERMINAL.includes(r.body.state.type) ? r.body : undefined;
  });
}

beforeAll(async () => {
  // Every line the functions (and the emulated containers) print, to scan for values.
  restoreStdout = captureStdout(logLines);
  api = await startApi({ extraEnv: { PUSHRUN_LOG_LEVEL: 'debug' } });
  call = client(api.url, transcript);
  collector = collectExecutions();
  key = (
    await setUpCloudRunWorkspace(api, call, {
      projectId: 'secrets-proj',
      baseJobTemplate: { memory: '512Mi', timeoutSeconds: 120 },
    })
  ).ownerKey;
  for (const [name, value] of [
    ['warehouse-dsn', DSN],
    ['api-token', API_TOKEN],
  ] as const) {
    expect((await call('POST', `${ws}/secrets`, { key, body: { name, value } })).status).toBe(201);
  }
  const image = 'europe-docker.pkg.dev/secrets-proj/flows/etl:1';
  // Env names that do not look secret, so the emulator's view would show a value were one ever put there.
  const secretEnv = { WAREHOUSE_DSN: 'warehouse-dsn', UPSTREAM: 'api-token' };
  for (const [name, args] of [
    ['etl', [FLOW]],
    ['probe', [PROBE]],
  ] as const) {
    const d = await call('POST', `${ws}/deployments`, {
      key,
      body: { name, workPool: 'cr', image, command: [NODE], args, secretEnv },
    });
    expect(d.status, d.text).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  collecting = false;
  await collector;
  restoreStdout();
  await api.close();
});

describe('secret values reach their run only', () => {
  let etlRunId: string;
  let probeRunId: string;

  it('the example flow fetches its secrets with its run token and logs only their names', async () => {
    const run = await runToEnd('etl');
    expect(run.state.type, run.state.message).toBe('COMPLETED');
    etlRunId = run.id;
    const logs = await call('GET', `${ws}/runs/${run.id}/logs`, { key });
    const messages = logs.body.items.map((l: { message: string }) => l.message);
    expect(messages).toContain('received secrets: UPSTREAM, WAREHOUSE_DSN');
  });

  it('a probe run gets the values through the API (checked by digest) and another run’s answer is 404', async () => {
    const run = await runToEnd('probe', {
      expectSha256: { WAREHOUSE_DSN: sha256(DSN), UPSTREAM: sha256(API_TOKEN) },
      otherRun: etlRunId,
    });
    expect(run.state.message).toBe('secrets ok');
    expect(run.state.type).toBe('COMPLETED');
    probeRunId = run.id;
  });

  it('a rotated value reaches the next run', async () => {
    expect(
      (await call('PATCH', `${ws}/secrets/warehouse-dsn`, { key, body: { value: ROTATED } })).body.version,
    ).toBe(2);
    const run = await runToEnd('probe', {
      expectSha256: { WAREHOUSE_DSN: sha256(ROTATED), UPSTREAM: sha256(API_TOKEN) },
    });
    expect(run.state.message).toBe('secrets ok');
  });

  it('a finished run’s token gets 401; the owner’s key gets 403', async () => {
    const tokens = new RunTokenSigner(api.env.PUSHRUN_RUN_TOKEN_SECRET as string);
    const finished = await tokens.sign(
      { workspace: 'acme', runId: probeRunId, attempt: 1 },
      new Date(),
      3600,
    );
    expect((await call('GET', `${ws}/runs/${probeRunId}/secrets`, { key: finished })).status).toBe(401);
    const owner = await call('GET', `${ws}/runs/${probeRunId}/secrets`, { key });
    expect(owner.status).toBe(403);
  });

  it('no value in any response, log line, Firestore document or job/execution spec', async () => {
    collecting = false;
    await collector;
    const executions = [...seen.values()] as { env: Record<string, string> }[];
    expect(executions.length).toBeGreaterThanOrEqual(3);
    for (const e of executions) {
      // Names only: the values' env names never reach the job, PUSHRUN_SECRET_NAMES does.
      expect(Object.keys(e.env)).toContain('PUSHRUN_SECRET_NAMES');
      expect(Object.keys(e.env)).not.toContain('WAREHOUSE_DSN');
      expect(Object.keys(e.env)).not.toContain('UPSTREAM');
    }
    const haystacks = {
      responses: transcript.join('\n'),
      logs: logLines.join(''),
      firestore: (await dumpFirestore(api.projectId)).map((d) => d.json).join('\n'),
      specs: JSON.stringify(executions),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const v of VALUES) {
        expect(text.includes(v), `${where} contains a secret value`).toBe(false);
        expect(
          text.includes(Buffer.from(v).toString('base64').slice(0, 40)),
          `${where} holds it in base64`,
        ).toBe(false);
      }
    }
    expect(haystacks.logs.length).toBeGreaterThan(0);
  });
});
