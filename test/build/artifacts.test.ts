import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/firestoreEmulator.js';

/**
 * The deployable artifacts, as Cloud Run functions will run them: `npm run
 * build`, then each bundle served by functions-framework from its own folder.
 * Each must build its dependencies on the first request (api: 200 on /healthz;
 * the internal functions: 401 for a caller without an OIDC token — not a 500),
 * and carry only the Google clients its function uses.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist/functions');
const FF_MAIN = join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
const ENV = {
  GOOGLE_CLOUD_PROJECT: 'pushrun-artifacts',
  PUSHRUN_API_URL: 'http://127.0.0.1:9/api',
  PUSHRUN_PLATFORM_ADMIN_KEY: 'artifact-admin-key-artifact-admin-key-1',
  PUSHRUN_RUN_TOKEN_SECRET: 'artifact-run-token-secret-artifact-run-token',
  PUSHRUN_DISPATCHER_URL: 'http://127.0.0.1:9/dispatcher',
  PUSHRUN_MONITOR_URL: 'http://127.0.0.1:9/monitor',
  PUSHRUN_TASKS_SERVICE_ACCOUNT: 'pushrun-tasks@pushrun-artifacts.iam.gserviceaccount.com',
  PUSHRUN_LOG_LEVEL: 'error',
  METADATA_SERVER_DETECTION: 'none',
};
const children: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
}, 180_000);
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

async function firstResponse(
  name: string,
  method: string,
  path: string,
): Promise<{ status: number; stderr: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [FF_MAIN, `--source=${join(DIST, name)}`, `--target=${name}`, `--port=${port}`],
    {
      env: { ...process.env, ...ENV, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr.slice(-500)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
        });
        await res.text();
        return { status: res.status, stderr };
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`${name}: no answer in 30 s`);
  } finally {
    child.kill('SIGKILL');
  }
}

function clientsIn(name: string): string[] {
  const found = new Set<string>();
  for (const f of readdirSync(join(DIST, name))) {
    if (!f.endsWith('.js')) continue;
    for (const m of readFileSync(join(DIST, name, f), 'utf8').matchAll(
      /node_modules\/@google-cloud\/([\w-]+)\//g,
    )) {
      found.add(m[1] as string);
    }
  }
  return [...found].sort();
}

describe('deployable artifacts', () => {
  it.each([
    ['api', 'GET', '/healthz', 200],
    ['scheduler', 'POST', '/', 401],
    ['dispatcher', 'POST', '/', 401],
    ['monitor', 'POST', '/', 401],
  ] as const)(
    '%s starts from its own bundle and answers %s %s with %i',
    async (name, method, path, expected) => {
      const { status, stderr } = await firstResponse(name, method, path);
      expect(status, stderr).toBe(expected);
    },
    60_000,
  );

  it('the scheduler’s bundle carries no KMS, Cloud Run or IAM client', () => {
    const clients = clientsIn('scheduler');
    for (const absent of ['kms', 'run', 'iam-credentials', 'resource-manager'])
      expect(clients).not.toContain(absent);
    expect(clients).toContain('firestore');
  });

  it('each artifact ships a package.json that installs only its externals', () => {
    for (const name of ['api', 'scheduler', 'dispatcher', 'monitor']) {
      const pkg = JSON.parse(readFileSync(join(DIST, name, 'package.json'), 'utf8')) as {
        type: string;
        dependencies: Record<string, string>;
      };
      expect(pkg.type).toBe('module');
      expect(Object.keys(pkg.dependencies).sort()).toEqual([
        '@google-cloud/functions-framework',
        '@google-cloud/tasks',
      ]);
    }
  });
});
