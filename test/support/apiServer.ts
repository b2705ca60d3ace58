import { type LocalStack, startLocalStack } from '../../scripts/localStack.js';
import { clearFirestore } from './firestoreEmulator.js';

export interface ApiUnderTest {
  url: string;
  projectId: string;
  adminKey: string;
  env: Record<string, string>;
  stack: LocalStack;
  close(): Promise<void>;
}

/**
 * The whole local stack (emulators + the four functions behind
 * functions-framework, wired by the production wiring) with a Firestore project
 * of its own, so test files never share data.
 */
export async function startApi(opts: { extraEnv?: Record<string, string> } = {}): Promise<ApiUnderTest> {
  const stack = await startLocalStack(opts.extraEnv ? { extraEnv: opts.extraEnv } : {});
  const projectId = stack.env.GOOGLE_CLOUD_PROJECT as string;
  return {
    url: stack.urls.api,
    projectId,
    adminKey: stack.adminKey,
    env: stack.env,
    stack,
    async close() {
      await stack.stop();
      await clearFirestore(process.env.FIRESTORE_EMULATOR_HOST as string, projectId);
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
