#!/usr/bin/env node
// A test flow: fetches its secrets with its run token and checks them against
// SHA-256 digests passed as parameters (so the test never hands the container a
// value by another path), then tries another run's secrets with the same token.
// Reports COMPLETED only when every digest matches and the other run's answer is
// 404; otherwise FAILED naming what differed (names and statuses, never values).
import { createHash } from 'node:crypto';

const api = process.env.PUSHRUN_API_URL;
const ws = process.env.PUSHRUN_WORKSPACE;
const runId = process.env.PUSHRUN_RUN_ID;
const token = process.env.PUSHRUN_RUN_TOKEN;
const params = JSON.parse(process.env.PUSHRUN_PARAMETERS ?? '{}');
const runs = `${api.replace(/\/$/, '')}/v1/workspaces/${ws}/runs`;
const auth = { authorization: `Bearer ${token}` };

async function state(type, message) {
  await fetch(`${runs}/${runId}/state`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ type, message }),
  });
}

await state('RUNNING');
const problems = [];
const own = await fetch(`${runs}/${runId}/secrets`, { headers: auth });
if (own.status !== 200) problems.push(`own secrets: ${own.status}`);
else {
  const { values } = await own.json();
  const names = (process.env.PUSHRUN_SECRET_NAMES ?? '').split(',').filter(Boolean).sort();
  if (
    names.join(',') !==
    Object.keys(params.expectSha256 ?? {})
      .sort()
      .join(',')
  )
    problems.push(`PUSHRUN_SECRET_NAMES is ${names.join(',')}`);
  for (const [env, digest] of Object.entries(params.expectSha256 ?? {})) {
    const got = values[env] === undefined ? 'none' : createHash('sha256').update(values[env]).digest('hex');
    if (got !== digest) problems.push(`${env} differs`);
  }
  for (const env of Object.keys(values))
    if (process.env[env] !== undefined) problems.push(`${env} was in env`);
}
if (params.otherRun) {
  const other = await fetch(`${runs}/${params.otherRun}/secrets`, { headers: auth });
  if (other.status !== 404) problems.push(`other run's secrets: ${other.status}`);
}
await state(problems.length === 0 ? 'COMPLETED' : 'FAILED', problems.join('; ') || 'secrets ok');
