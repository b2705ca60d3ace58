#!/usr/bin/env node
// A small pushrun flow, run as a Cloud Run job's container command. It talks to
// the pushrun API with the run token it was given (scoped to this run alone) and
// reports: RUNNING, a few log lines, two task runs, then COMPLETED — or, with
// --fail (or parameter fail: true), FAILED with a reason. When its deployment
// declares secrets (PUSHRUN_SECRET_NAMES, names only), it fetches their values
// from the API with the run token and logs which names it received — never a value.
// Plain JavaScript with no dependencies, so any Node image can run it.

const api = process.env.PUSHRUN_API_URL;
const ws = process.env.PUSHRUN_WORKSPACE;
const runId = process.env.PUSHRUN_RUN_ID;
const token = process.env.PUSHRUN_RUN_TOKEN;
const params = JSON.parse(process.env.PUSHRUN_PARAMETERS ?? '{}');
const shouldFail = process.argv.includes('--fail') || params.fail === true;

if (!api || !ws || !runId || !token) {
  console.error('missing PUSHRUN_* environment: not started by pushrun?');
  process.exit(2);
}

const base = `${api.replace(/\/$/, '')}/v1/workspaces/${ws}/runs/${runId}`;

async function post(path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * The deployment's secrets by env name, fetched with the run token (values never
 * travel in the job's env). Kept in memory only: put into process.env for the
 * flow's own code, never printed.
 */
async function loadSecrets() {
  const declared = (process.env.PUSHRUN_SECRET_NAMES ?? '').split(',').filter((n) => n !== '');
  if (declared.length === 0) return [];
  const res = await fetch(`${base}/secrets`, { headers: { authorization: `Bearer ${token}` } });
  // The body of a refusal names fields and secrets, never values: safe to show.
  if (!res.ok) throw new Error(`GET /secrets: ${res.status} ${await res.text()}`);
  const { values } = await res.json();
  const missing = declared.filter((n) => typeof values[n] !== 'string');
  if (missing.length > 0) throw new Error(`secrets not received: ${missing.join(', ')}`);
  for (const n of declared) process.env[n] = values[n];
  return declared;
}

const log = (message, level = 'INFO', taskRun) =>
  post('/logs', { logs: [{ level, message, ...(taskRun ? { taskRun } : {}) }] });

async function task(id, name, parameters, work) {
  const startTime = new Date().toISOString();
  await post('/task-runs', { id, name, state: 'RUNNING', startTime, parameters });
  try {
    await work();
    await post('/task-runs', { id, name, state: 'COMPLETED', endTime: new Date().toISOString() });
  } catch (err) {
    await post('/task-runs', { id, name, state: 'FAILED', endTime: new Date().toISOString() });
    throw err;
  }
}

try {
  await post('/state', {
    type: 'RUNNING',
    transitionId: `running-${process.env.PUSHRUN_RUN_ATTEMPT ?? '1'}`,
  });
  await log(`starting etl with ${Object.keys(params).length} parameter(s)`);
  const secrets = await loadSecrets();
  if (secrets.length > 0) await log(`received secrets: ${secrets.join(', ')}`);
  const rows = Number(params.rows ?? 3);
  await task('extract', 'extract', { source: 'demo', rows }, async () => {
    await log(`extracted ${rows} rows`, 'INFO', 'extract');
  });
  await task('load', 'load', { target: 'warehouse' }, async () => {
    if (shouldFail) throw new Error('warehouse refused the load');
    await log(`loaded ${rows} rows`, 'INFO', 'load');
  });
  await log('etl finished');
  await post('/state', { type: 'COMPLETED', message: `loaded ${rows} rows` });
} catch (err) {
  await log(`etl failed: ${err.message}`, 'ERROR').catch(() => {});
  await post('/state', { type: 'FAILED', message: err.message }).catch(() => {});
  process.exit(1);
}
