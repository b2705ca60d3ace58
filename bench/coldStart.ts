/**
 * Cold start of each built function: process start → first HTTP response of
 * `functions-framework --target=<name>` on dist/functions/<name> (run `npm run build` first),
 * next to a bare functions-framework function measured in the same run. Figures are noisy;
 * the ratio to the bare function is what to compare between runs and machines.
 *
 * The first request is what builds a handler (functions/index.ts builds lazily), so the
 * time includes loading the function's own dependencies. The api gets GET /healthz; the
 * internal functions get an unauthenticated POST, answered 401 once their handler is built.
 * No Google API is called: the environment points nowhere reachable and nothing listens
 * beyond loopback.
 *
 *   npx tsx bench/coldStart.ts [runs=5]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FF_MAIN = join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
const RUNS = Math.min(Math.max(Number(process.argv[2] ?? 5) || 5, 1), 20);
const START_TIMEOUT_MS = 20_000;

const ENV = {
  GOOGLE_CLOUD_PROJECT: 'pushrun-bench',
  PUSHRUN_API_URL: 'http://127.0.0.1:9/api',
  PUSHRUN_PLATFORM_ADMIN_KEY: 'bench-admin-key-bench-admin-key-bench',
  PUSHRUN_RUN_TOKEN_SECRET: 'bench-run-token-secret-bench-run-token',
  PUSHRUN_DISPATCHER_URL: 'http://127.0.0.1:9/dispatcher',
  PUSHRUN_MONITOR_URL: 'http://127.0.0.1:9/monitor',
  PUSHRUN_TASKS_SERVICE_ACCOUNT: 'pushrun-tasks-invoker@pushrun-bench.iam.gserviceaccount.com',
  PUSHRUN_LOG_LEVEL: 'error',
  METADATA_SERVER_DETECTION: 'none',
};

interface Target {
  label: string;
  source: string;
  target: string;
  method: 'GET' | 'POST';
  path: string;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => res(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function tryRequest(port: number, t: Target): Promise<number | undefined> {
  return new Promise((res) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: t.method,
        path: t.path,
        headers: { 'content-type': 'application/json' },
        timeout: START_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.on('end', () => res(response.statusCode));
      },
    );
    req.on('error', () => res(undefined)); // not listening yet
    req.on('timeout', () => req.destroy());
    req.end(t.method === 'POST' ? '{}' : undefined);
  });
}

/** Milliseconds from spawn to the first HTTP response, and its status. */
async function coldStart(t: Target): Promise<{ ms: number; status: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [FF_MAIN, `--source=${t.source}`, `--target=${t.target}`, `--port=${port}`],
    { env: { ...process.env, ...ENV, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    while (performance.now() - started < START_TIMEOUT_MS) {
      if (child.exitCode !== null)
        throw new Error(`${t.label} exited ${child.exitCode}: ${stderr.slice(0, 500)}`);
      const status = await tryRequest(port, t);
      if (status !== undefined) return { ms: performance.now() - started, status };
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${t.label}: no response within ${START_TIMEOUT_MS} ms`);
  } finally {
    child.kill('SIGKILL');
  }
}

function bareFunction(): Target {
  // Inside the repository so that it resolves the same functions-framework from node_modules.
  const dir = join(ROOT, 'dist/bench/bare');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js' }));
  writeFileSync(
    join(dir, 'index.js'),
    "import * as ff from '@google-cloud/functions-framework';\nff.http('bare', (req, res) => { res.send('ok'); });\n",
  );
  return { label: 'bare functions-framework', source: dir, target: 'bare', method: 'GET', path: '/' };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const targets: Target[] = [bareFunction()];
for (const name of ['api', 'scheduler', 'dispatcher', 'monitor']) {
  const source = join(ROOT, 'dist/functions', name);
  if (!existsSync(join(source, 'index.js'))) {
    console.warn(`dist/functions/${name} not built (npm run build): skipped`);
    continue;
  }
  targets.push({
    label: name,
    source,
    target: name,
    method: name === 'api' ? 'GET' : 'POST',
    path: name === 'api' ? '/healthz' : '/',
  });
}

const results = new Map<string, { times: number[]; status: number }>();
// Interleaved rounds, so drift in machine load hits every target alike.
for (let round = 0; round < RUNS; round++) {
  for (const t of targets) {
    const { ms, status } = await coldStart(t);
    const r = results.get(t.label) ?? { times: [], status };
    r.times.push(ms);
    results.set(t.label, r);
  }
}

const bare = median(results.get(targets[0]?.label ?? '')?.times ?? [1]);
console.log(
  `cold start, process start → first HTTP response (Node ${process.versions.node}, ${RUNS} runs each)`,
);
console.log('| function | first status | median ms | min ms | max ms | × bare |');
console.log('|---|---|---|---|---|---|');
for (const t of targets) {
  const r = results.get(t.label);
  if (!r) continue;
  const m = median(r.times);
  console.log(
    `| ${t.label} | ${r.status} | ${m.toFixed(0)} | ${Math.min(...r.times).toFixed(0)} | ${Math.max(...r.times).toFixed(0)} | ${(m / bare).toFixed(2)} |`,
  );
}
