import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
// The production entry module: registers the functions and patches the body parsers as deployed.
import '../../functions/index.js';
import { clearFirestore } from './firestoreEmulator.js';

let counter = 0;

export interface ApiUnderTest {
  url: string;
  projectId: string;
  adminKey: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Env for a test process: a Firestore project of its own, so test files never share data. */
export function testEnv(projectId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST as string,
    PUSHRUN_API_URL: 'http://127.0.0.1:1/',
    PUSHRUN_PLATFORM_ADMIN_KEY: `admin-${randomBytes(24).toString('hex')}`,
    PUSHRUN_RUN_TOKEN_SECRET: randomBytes(32).toString('hex'),
    PUSHRUN_DISPATCHER_URL: 'http://127.0.0.1:1/dispatch',
    PUSHRUN_MONITOR_URL: 'http://127.0.0.1:1/monitor',
    PUSHRUN_TASKS_SERVICE_ACCOUNT: 'tasks@pushrun-test.iam.gserviceaccount.com',
    PUSHRUN_LOG_LEVEL: 'error',
    ...extra,
  };
}

/**
 * Serves the api function exactly as production does — functions-framework's
 * Express server around the handler built by the real wiring — on a loopback port.
 */
export async function startApi(opts: {
  build: (env: Record<string, string>) => Promise<ff.HttpFunction>;
  projectId?: string;
  env?: Record<string, string>;
}): Promise<ApiUnderTest> {
  counter += 1;
  const projectId = opts.projectId ?? `test-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
  const env = testEnv(projectId, opts.env);
  const handler = await opts.build(env);
  const name = `api-under-test-${counter}`;
  ff.http(name, handler);
  const server: Server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    projectId,
    adminKey: env.PUSHRUN_PLATFORM_ADMIN_KEY as string,
    env,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await clearFirestore(env.FIRESTORE_EMULATOR_HOST as string, projectId);
    },
  };
}

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected loosely in tests
  body: any;
  text: string;
  headers: Headers;
}

/** A tiny JSON client; every response text is kept so tests can scan it for secrets. */
export function client(baseUrl: string, transcript?: string[]) {
  return async function call(
    method: string,
    path: string,
    opts: {
      key?: string | undefined;
      body?: unknown;
      raw?: string | Buffer;
      headers?: Record<string, string>;
    } = {},
  ): Promise<CallResult> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.raw !== undefined) {
      body = typeof opts.raw === 'string' ? opts.raw : opts.raw.toString('utf8');
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined && method !== 'GET') {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    transcript?.push(text);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
}
