import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { IAMCredentialsClient } from '@google-cloud/iam-credentials';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { JobsClient, type protos } from '@google-cloud/run';
import { type AuthClient, JWT, OAuth2Client, PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import type { ServiceAccountKeyJson } from '../../../emulators/iam/iamState.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';

const CUSTOMER = 'acme-analytics';
const PLATFORM = 'pushrun-platform';
const PARENT = `projects/${CUSTOMER}/locations/europe-west1`;
const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

let emulators: StartedEmulators;
let control: EmulatorControl;
const clients: { close(): Promise<void> }[] = [];

/** The options a production adapter passes: REST transport to the emulator, the credential as authClient. */
function restOptions(address: string, authClient: AuthClient) {
  const [host, port] = address.split(':');
  return { apiEndpoint: host!, port: Number(port), protocol: 'http', fallback: true as const, authClient };
}

const CODE_NAMES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  16: 'UNAUTHENTICATED',
};

/**
 * The canonical status of a refused call. JobsClient (google-gax 6) rejects with a
 * GoogleError carrying `code`; IAMCredentialsClient and ProjectsClient ship google-gax 5,
 * whose REST transport rejects with the GaxiosError: the status is in the JSON body.
 */
async function statusOf(call: Promise<unknown>): Promise<string> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: unknown; message?: string; name?: string } | undefined;
  if (!err) return 'OK';
  // A GaxiosError (gaxios 7) keeps the response body as its message; its `code` is the HTTP status.
  try {
    const status = (JSON.parse(err.message ?? '') as { error?: { status?: string } }).error?.status;
    if (status) return status;
  } catch {
    // Not a JSON body: a GoogleError.
  }
  return typeof err.code === 'number' ? (CODE_NAMES[err.code] ?? String(err.code)) : 'UNKNOWN';
}

function unexpected(): never {
  throw new Error('the call should have been refused');
}

/**
 * IAMCredentialsClient and ProjectsClient are typed against google-auth-library 10 (their
 * own copy); an authClient from version 11 works at run time but needs this cast.
 */
function gax5Options(address: string, authClient: AuthClient) {
  return restOptions(address, authClient) as never;
}

function jwtFromKey(key: ServiceAccountKeyJson): JWT {
  return new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: SCOPES,
  });
}

function runJobs(authClient: AuthClient): JobsClient {
  const client = new JobsClient(restOptions(emulators.endpoints.run, authClient));
  clients.push(client);
  return client;
}

function job(serviceAccount?: string): protos.google.cloud.run.v2.IJob {
  return {
    template: {
      template: {
        maxRetries: 0,
        ...(serviceAccount ? { serviceAccount } : {}),
        containers: [{ image: 'img', command: ['true'] }],
      },
    },
  };
}

async function newAccount(projectId: string, accountId: string, role?: string) {
  const { email } = await control.createServiceAccount(projectId, accountId);
  if (role) await control.grant(projectId, `serviceAccount:${email}`, { role });
  const key = await control.createKey(projectId, email);
  return { email, key };
}

beforeAll(async () => {
  emulators = await startEmulators();
  control = new EmulatorControl(emulators.endpoints.control);
  await control.createProject(CUSTOMER);
  await control.createProject(PLATFORM);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emulators?.stop();
});

describe('IAM of the emulators: every Cloud Run call is authenticated and authorised', () => {
  it('issues keys shaped like Google’s service-account key files', async () => {
    const { key } = await newAccount(CUSTOMER, 'key-shape');
    expect(key).toMatchObject({
      type: 'service_account',
      project_id: CUSTOMER,
      client_email: `key-shape@${CUSTOMER}.iam.gserviceaccount.com`,
      token_uri: 'https://oauth2.googleapis.com/token',
    });
    // A usable RSA private key in PEM, as Google issues (parsed, not pattern-matched).
    expect(createPrivateKey(key.private_key).asymmetricKeyType).toBe('rsa');
    expect(key.private_key_id).toMatch(/^[0-9a-f]{40}$/);
    expect(key.client_id).toMatch(/^\d{21}$/);
  });

  it('answers UNAUTHENTICATED (16) to a call without a credential', async () => {
    const jobs = runJobs(new PassThroughClient());
    await expect(jobs.getJob({ name: `${PARENT}/jobs/any` })).rejects.toMatchObject({ code: 16 });
  });

  it('answers UNAUTHENTICATED to a key the emulator never issued', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = new JWT({
      email: `forger@${CUSTOMER}.iam.gserviceaccount.com`,
      key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      scopes: SCOPES,
    });
    await expect(runJobs(forged).listJobs({ parent: PARENT })).rejects.toMatchObject({ code: 16 });
    // A registered account signing with a foreign key fails the same way.
    const { email } = await newAccount(CUSTOMER, 'victim-sa', 'roles/run.admin');
    const stolenName = new JWT({
      email,
      key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      scopes: SCOPES,
    });
    await expect(runJobs(stolenName).listJobs({ parent: PARENT })).rejects.toMatchObject({ code: 16 });
  });

  it('answers PERMISSION_DENIED (7) naming the permission to a service account without the role', async () => {
    const { key } = await newAccount(CUSTOMER, 'no-roles-sa');
    const err = await runJobs(jwtFromKey(key))
      .createJob({ parent: PARENT, jobId: 'denied', job: job() })
      .then(unexpected, (e: unknown) => e as Error & { code: number });
    expect(err).toMatchObject({ code: 7 });
    expect(err.message).toContain("Permission 'run.jobs.create' denied on resource");
  });

  it('a viewer may read but not run; runWithOverrides is its own permission', async () => {
    const dev = await newAccount(CUSTOMER, 'dev-sa', 'roles/run.developer');
    const viewer = await newAccount(CUSTOMER, 'viewer-sa', 'roles/run.viewer');
    const invoker = await newAccount(CUSTOMER, 'invoker-sa');
    await control.grant(CUSTOMER, `serviceAccount:${invoker.email}`, { permissions: ['run.jobs.run'] });
    const [op] = await runJobs(jwtFromKey(dev.key)).createJob({
      parent: PARENT,
      jobId: 'viewable',
      job: job(),
    });
    const [created] = await op.promise();
    await expect(runJobs(jwtFromKey(viewer.key)).getJob({ name: created.name! })).resolves.toBeTruthy();
    const denied = await runJobs(jwtFromKey(viewer.key))
      .runJob({ name: created.name! })
      .then(unexpected, (e: unknown) => e as Error & { code: number });
    expect(denied.code).toBe(7);
    expect(denied.message).toContain("'run.jobs.run'");
    // A custom role with run.jobs.run alone may run, but not with overrides.
    const invokerJobs = runJobs(jwtFromKey(invoker.key));
    const [runOp] = await invokerJobs.runJob({ name: created.name! });
    expect(runOp.name).toBeTruthy();
    const overridden = await invokerJobs
      .runJob({ name: created.name!, overrides: { taskCount: 2 } })
      .then(unexpected, (e: unknown) => e as Error & { code: number });
    expect(overridden.code).toBe(7);
    expect(overridden.message).toContain("'run.jobs.runWithOverrides'");
  });

  it('setting a runtime service account needs iam.serviceAccounts.actAs on it', async () => {
    const dev = await newAccount(CUSTOMER, 'deployer-sa', 'roles/run.developer');
    const { email: runtime } = await control.createServiceAccount(CUSTOMER, 'flow-runtime');
    const jobs = runJobs(jwtFromKey(dev.key));
    const err = await jobs
      .createJob({ parent: PARENT, jobId: 'with-runtime', job: job(runtime) })
      .then(unexpected, (e: unknown) => e as Error & { code: number });
    expect(err.code).toBe(7);
    expect(err.message).toContain('iam.serviceAccounts.actAs');
    // Granted on that one account only, as the onboarding module does.
    await control.grant(
      CUSTOMER,
      `serviceAccount:${dev.email}`,
      { role: 'roles/iam.serviceAccountUser' },
      runtime,
    );
    const [op] = await jobs.createJob({ parent: PARENT, jobId: 'with-runtime', job: job(runtime) });
    const [created] = await op.promise();
    expect(created.template?.template?.serviceAccount).toBe(runtime);
  });

  it('rejects a disabled key, accepts it again once enabled, and rejects it for good once deleted', async () => {
    const { email, key } = await newAccount(CUSTOMER, 'rotating-sa', 'roles/run.viewer');
    const list = () => runJobs(jwtFromKey(key)).listJobs({ parent: PARENT });
    await expect(list()).resolves.toBeTruthy();
    await control.setKeyEnabled(CUSTOMER, email, key.private_key_id, false);
    await expect(list()).rejects.toMatchObject({ code: 16 });
    await control.setKeyEnabled(CUSTOMER, email, key.private_key_id, true);
    await expect(list()).resolves.toBeTruthy();
    await control.deleteKey(CUSTOMER, email, key.private_key_id);
    await expect(list()).rejects.toMatchObject({ code: 16 });
  });

  it('impersonation: generateAccessToken needs the token creator role, and the token works until it expires', async () => {
    const platform = await newAccount(PLATFORM, 'pushrun-dispatcher');
    const { email: customerSa } = await control.createServiceAccount(CUSTOMER, 'pushrun-access');
    await control.grant(CUSTOMER, `serviceAccount:${customerSa}`, { role: 'roles/run.developer' });
    const iamCredentials = new IAMCredentialsClient(
      gax5Options(emulators.endpoints.iam, jwtFromKey(platform.key)),
    );
    clients.push(iamCredentials);
    const name = `projects/-/serviceAccounts/${customerSa}`;

    expect(await statusOf(iamCredentials.generateAccessToken({ name, scope: SCOPES }))).toBe(
      'PERMISSION_DENIED',
    );
    await control.grant(
      CUSTOMER,
      `serviceAccount:${platform.email}`,
      { role: 'roles/iam.serviceAccountTokenCreator' },
      customerSa,
    );
    expect(
      await statusOf(
        iamCredentials.generateAccessToken({ name, scope: SCOPES, lifetime: { seconds: 3601 } }),
      ),
    ).toBe('INVALID_ARGUMENT');

    const [token] = await iamCredentials.generateAccessToken({
      name,
      scope: SCOPES,
      lifetime: { seconds: 2 },
    });
    expect(token.accessToken).toBeTruthy();
    const expireMs = Number(token.expireTime?.seconds) * 1000 + (token.expireTime?.nanos ?? 0) / 1e6;
    expect(expireMs - Date.now()).toBeLessThanOrEqual(2_000);

    const bearer = new OAuth2Client();
    bearer.setCredentials({ access_token: token.accessToken! });
    const jobs = runJobs(bearer);
    const [op] = await jobs.createJob({ parent: PARENT, jobId: 'made-by-impersonation', job: job() });
    const [created] = await op.promise();
    expect(created.creator).toBe(customerSa);

    await new Promise((r) => setTimeout(r, Math.max(0, expireMs - Date.now()) + 100));
    await expect(jobs.getJob({ name: created.name! })).rejects.toMatchObject({ code: 16 });
  });

  it('projects.testIamPermissions returns the granted subset', async () => {
    const { email, key } = await newAccount(CUSTOMER, 'checker-sa', 'roles/run.invoker');
    await control.grant(CUSTOMER, `serviceAccount:${email}`, { permissions: ['run.executions.get'] });
    const projects = new ProjectsClient(gax5Options(emulators.endpoints.iam, jwtFromKey(key)));
    clients.push(projects);
    const wanted = [
      'run.jobs.create',
      'run.jobs.run',
      'run.executions.get',
      'run.executions.cancel',
      'iam.serviceAccounts.actAs',
    ];
    const [answer] = await projects.testIamPermissions({
      resource: `projects/${CUSTOMER}`,
      permissions: wanted,
    });
    expect(answer.permissions?.sort()).toEqual(['run.executions.get', 'run.jobs.run']);
    const [none] = await projects.testIamPermissions({
      resource: `projects/${PLATFORM}`,
      permissions: wanted,
    });
    expect(none.permissions ?? []).toEqual([]);
    const anonymous = new ProjectsClient(gax5Options(emulators.endpoints.iam, new PassThroughClient()));
    clients.push(anonymous);
    expect(
      await statusOf(anonymous.testIamPermissions({ resource: `projects/${CUSTOMER}`, permissions: wanted })),
    ).toBe('UNAUTHENTICATED');
  });

  it('serviceAccounts.testIamPermissions (IAM admin v1) returns the subset granted on the account or its project', async () => {
    const { email, key } = await newAccount(CUSTOMER, 'sa-checker');
    const { email: runtime } = await control.createServiceAccount(CUSTOMER, 'sa-checker-runtime');
    const { email: other } = await control.createServiceAccount(CUSTOMER, 'sa-checker-other');
    await control.grant(
      CUSTOMER,
      `serviceAccount:${email}`,
      { permissions: ['iam.serviceAccounts.actAs'] },
      runtime,
    );
    const caller = jwtFromKey(key);
    // Google's clients set this themselves; without it a bare request() exchanges the JWT at oauth2.googleapis.com.
    caller.useJWTAccessWithScope = true;
    // No Node client exists for the IAM admin API: the REST call as Google documents it.
    const test = async (resource: string, permissions: string[]) => {
      const res = await caller.request<{ permissions?: string[] }>({
        url: `http://${emulators.endpoints.iam}/v1/${resource}:testIamPermissions`,
        method: 'POST',
        data: { permissions },
      });
      return res.data.permissions ?? [];
    };
    const wanted = ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.getAccessToken'];
    expect(await test(`projects/-/serviceAccounts/${runtime}`, wanted)).toEqual([
      'iam.serviceAccounts.actAs',
    ]);
    expect(await test(`projects/${CUSTOMER}/serviceAccounts/${runtime}`, wanted)).toEqual([
      'iam.serviceAccounts.actAs',
    ]);
    // A grant on one account says nothing about another; unknown accounts grant nothing.
    expect(await test(`projects/-/serviceAccounts/${other}`, wanted)).toEqual([]);
    expect(
      await test(`projects/-/serviceAccounts/nobody@${CUSTOMER}.iam.gserviceaccount.com`, wanted),
    ).toEqual([]);
    // A project-level grant covers every account of the project.
    await control.grant(CUSTOMER, `serviceAccount:${email}`, {
      role: 'roles/iam.serviceAccountTokenCreator',
    });
    expect((await test(`projects/-/serviceAccounts/${other}`, wanted)).sort()).toEqual([
      'iam.serviceAccounts.getAccessToken',
    ]);
    // gaxios 7 (google-auth-library 11) keeps Google's JSON body in `response.data`.
    await expect(
      new PassThroughClient().request({
        url: `http://${emulators.endpoints.iam}/v1/projects/-/serviceAccounts/${runtime}:testIamPermissions`,
        method: 'POST',
        data: { permissions: wanted },
      }),
    ).rejects.toMatchObject({ status: 401, response: { data: { error: { status: 'UNAUTHENTICATED' } } } });
  });

  it('serviceAccounts.get (IAM admin v1) reads an account, description included, with iam.serviceAccounts.get on it', async () => {
    const { email, key } = await newAccount(CUSTOMER, 'sa-reader');
    const { email: target } = await control.createServiceAccount(CUSTOMER, 'sa-described', {
      displayName: 'described',
      description: 'pushrun-workspace:acme launches jobs',
    });
    const caller = jwtFromKey(key);
    caller.useJWTAccessWithScope = true;
    const get = (name: string) =>
      caller.request<Record<string, unknown>>({
        url: `http://${emulators.endpoints.iam}/v1/${name}`,
        method: 'GET',
      });
    // Without the permission: PERMISSION_DENIED, for an existing and an unknown account alike.
    await expect(get(`projects/-/serviceAccounts/${target}`)).rejects.toMatchObject({
      status: 403,
      response: { data: { error: { status: 'PERMISSION_DENIED' } } },
    });
    await expect(
      get(`projects/-/serviceAccounts/nobody@${CUSTOMER}.iam.gserviceaccount.com`),
    ).rejects.toMatchObject({ status: 403 });
    // Granted on the account only, as the onboarding module grants the launcher on itself.
    await control.grant(
      CUSTOMER,
      `serviceAccount:${email}`,
      { permissions: ['iam.serviceAccounts.get'] },
      target,
    );
    const read = await get(`projects/-/serviceAccounts/${target}`);
    expect(read.data).toMatchObject({
      name: `projects/${CUSTOMER}/serviceAccounts/${target}`,
      projectId: CUSTOMER,
      email: target,
      displayName: 'described',
      description: 'pushrun-workspace:acme launches jobs',
    });
    expect(read.data.uniqueId).toMatch(/^\d+$/);
    expect((await get(`projects/${CUSTOMER}/serviceAccounts/${target}`)).data.email).toBe(target);
    // A PATCH of the control API changes what the next read returns.
    await control.setServiceAccountDescription(CUSTOMER, target, 'pushrun-workspace:globex');
    expect((await get(`projects/-/serviceAccounts/${target}`)).data.description).toBe(
      'pushrun-workspace:globex',
    );
    // An empty description is omitted, as proto3 JSON does.
    await control.setServiceAccountDescription(CUSTOMER, target, '');
    expect((await get(`projects/-/serviceAccounts/${target}`)).data).not.toHaveProperty('description');
    // The grant says nothing about another account; a project-level grant reads every account,
    // and then an unknown account is NOT_FOUND rather than PERMISSION_DENIED.
    await expect(get(`projects/-/serviceAccounts/${email}`)).rejects.toMatchObject({ status: 403 });
    await control.grant(CUSTOMER, `serviceAccount:${email}`, { permissions: ['iam.serviceAccounts.get'] });
    expect((await get(`projects/-/serviceAccounts/${email}`)).data.email).toBe(email);
    await expect(
      get(`projects/${CUSTOMER}/serviceAccounts/nobody@${CUSTOMER}.iam.gserviceaccount.com`),
    ).rejects.toMatchObject({ status: 404 });
    await expect(control.setServiceAccountDescription(CUSTOMER, target, 'x'.repeat(257))).rejects.toThrow(
      /400/,
    );
  });

  it('the control API signs ID tokens that verify against the JWKS at jwksUri', async () => {
    const idToken = await control.idToken('alice@example.com', 'pushrun-api');
    const verifier = new OAuth2Client();
    const certs = await fetch(emulators.endpoints.jwksUri).then(
      (r) => r.json() as Promise<{ keys: { kid: string }[] }>,
    );
    const discovery = await fetch(`${emulators.endpoints.oidcIssuer}/.well-known/openid-configuration`).then(
      (r) => r.json() as Promise<{ jwks_uri: string; issuer: string }>,
    );
    expect(discovery).toMatchObject({
      issuer: emulators.endpoints.oidcIssuer,
      jwks_uri: emulators.endpoints.jwksUri,
    });
    const { createPublicKey } = await import('node:crypto');
    const pems = Object.fromEntries(
      certs.keys.map((k) => [
        k.kid,
        createPublicKey({ key: k as never, format: 'jwk' })
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      ]),
    );
    const ticket = await verifier.verifySignedJwtWithCertsAsync(idToken, pems, 'pushrun-api', [
      emulators.endpoints.oidcIssuer,
    ]);
    expect(ticket.getPayload()?.email).toBe('alice@example.com');
  });

  it('refuses a bad control-API body with 400 naming the field', async () => {
    const res = await fetch(`${emulators.endpoints.control}/v1/projects/${CUSTOMER}/iam:grant`, {
      method: 'POST',
      body: JSON.stringify({ member: 'nobody', role: 'roles/run.invoker' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('member');
  });
});
