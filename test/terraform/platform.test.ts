// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are Terraform expressions as hcl2json renders them, not JS templates
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Env } from '../../shared/config/env.js';
import { QUEUE_SETTINGS } from '../../shared/config/queues.js';
import { block, type HclBody, locals, parseModule, REPO, resources } from './support.js';

const PLATFORM = 'terraform/platform';
const mod = await parseModule(PLATFORM);
const platformLocals = locals(mod);
const INDEXES_FILE = resolve(REPO, 'firestore.indexes.json');

interface FirebaseIndexes {
  indexes?: {
    collectionGroup: string;
    queryScope?: string;
    fields: { fieldPath: string; order?: string; arrayConfig?: string }[];
  }[];
  fieldOverrides?: { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes?: unknown[] }[];
}

describe('platform: Firestore indexes come from firestore.indexes.json', () => {
  it('reads the repository root firestore.indexes.json', () => {
    const file = String(platformLocals.firestore_indexes_file).replace(
      '${path.module}',
      resolve(REPO, PLATFORM),
    );
    expect(resolve(file)).toBe(INDEXES_FILE);
    expect(platformLocals.firestore_indexes).toBe('${jsondecode(file(local.firestore_indexes_file))}');
    expect(platformLocals.composite_indexes).toMatch(
      /for index in try\(local\.firestore_indexes\.indexes, \[\]\)/,
    );
    expect(platformLocals.field_overrides).toMatch(
      /for override in try\(local\.firestore_indexes\.fieldOverrides, \[\]\)/,
    );
  });

  it('declares one google_firestore_index per composite index, and the field overrides, by for_each', () => {
    const index = resources(mod, 'google_firestore_index').composite as HclBody;
    expect(index.for_each).toBe('${local.composite_indexes}');
    expect(index.collection).toBe('${each.value.collectionGroup}');
    const fields = (index.dynamic as Record<string, HclBody[]>).fields?.[0] as HclBody;
    expect(fields.for_each).toBe('${each.value.fields}');
    const override = resources(mod, 'google_firestore_field').override as HclBody;
    expect(override.for_each).toBe('${local.field_overrides}');
    expect(Object.keys(override.dynamic as object).sort()).toEqual(['index_config', 'ttl_config']);
  });

  it.skipIf(!existsSync(INDEXES_FILE))(
    'every index in firestore.indexes.json is one Terraform can declare',
    () => {
      const spec = JSON.parse(readFileSync(INDEXES_FILE, 'utf8')) as FirebaseIndexes;
      const keys = new Set<string>();
      for (const index of spec.indexes ?? []) {
        expect(index.collectionGroup).toMatch(/^\w+$/);
        expect(['COLLECTION', 'COLLECTION_GROUP', undefined]).toContain(index.queryScope);
        expect(index.fields.length).toBeGreaterThan(0);
        for (const f of index.fields) {
          expect(f.fieldPath).toBeTruthy();
          expect(Number(f.order !== undefined) + Number(f.arrayConfig !== undefined), JSON.stringify(f)).toBe(
            1,
          );
        }
        // The same key the platform's for_each computes: duplicates would fail the plan.
        const key = [
          index.collectionGroup,
          index.queryScope ?? 'COLLECTION',
          index.fields.map((f) => `${f.fieldPath}:${f.order ?? `array-${f.arrayConfig}`}`).join(','),
        ].join('|');
        expect(keys.has(key), `duplicate index ${key}`).toBe(false);
        keys.add(key);
      }
      const overrides = new Set<string>();
      for (const o of spec.fieldOverrides ?? []) {
        const key = `${o.collectionGroup}.${o.fieldPath}`;
        expect(overrides.has(key), `duplicate field override ${key}`).toBe(false);
        overrides.add(key);
      }
    },
  );
});

describe('platform: Cloud Tasks queues match shared/config/queues.ts', () => {
  const queues = resources(mod, 'google_cloud_tasks_queue');
  const seconds = (d: unknown): number => {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(String(d));
    if (!m) throw new Error(`not a duration: ${String(d)}`);
    return Number(m[1]);
  };

  for (const [key, settings] of Object.entries(QUEUE_SETTINGS)) {
    it(`the ${key} queue has the code's name, rate limits and retry settings`, () => {
      const queue = queues[key] as HclBody;
      expect(queue, `google_cloud_tasks_queue.${key}`).toBeDefined();
      expect(queue.name).toBe(settings.name);
      const rate = block(queue, 'rate_limits');
      expect(rate.max_dispatches_per_second).toBe(settings.rateLimits.maxDispatchesPerSecond);
      expect(rate.max_concurrent_dispatches).toBe(settings.rateLimits.maxConcurrentDispatches);
      const retry = block(queue, 'retry_config');
      expect(retry.max_attempts).toBe(settings.retry.maxAttempts);
      expect(seconds(retry.min_backoff)).toBe(settings.retry.minBackoffSeconds);
      expect(seconds(retry.max_backoff)).toBe(settings.retry.maxBackoffSeconds);
      expect(retry.max_doublings).toBe(settings.retry.maxDoublings);
    });
  }

  it('queue names are the Env defaults the code falls back to', () => {
    const env = Env.partial().parse({});
    expect(env.PUSHRUN_DISPATCH_QUEUE).toBe(QUEUE_SETTINGS.dispatch.name);
    expect(env.PUSHRUN_MONITOR_QUEUE).toBe(QUEUE_SETTINGS.monitor.name);
  });
});

describe('platform: functions', () => {
  const functions = resources(mod, 'google_cloudfunctions2_function').function as HclBody;
  const serviceConfig = block(functions, 'service_config');

  it('sets every required Env variable (plain or from Secret Manager) and nothing the Env schema does not know', () => {
    const plain = String(platformLocals.function_env);
    const plainKeys = [...plain.matchAll(/\b(GOOGLE_CLOUD_PROJECT|PUSHRUN_[A-Z_]+)\s*=/g)].map(
      (m) => m[1] as string,
    );
    const secretKeys = Object.keys(platformLocals.secret_ids as object);
    const provided = new Set([...plainKeys, ...secretKeys]);
    const known = Object.keys(Env.shape);
    for (const key of provided) expect(known, `Env has no ${key}`).toContain(key);
    const required = Object.entries(Env.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    for (const key of required) expect(provided, `${key} is required by Env`).toContain(key);
    // Endpoint overrides are for emulators only and must never reach production.
    for (const key of provided) expect(key).not.toMatch(/_ENDPOINT$|EMULATOR_HOST$/);
    expect(serviceConfig.environment_variables).toBe('${local.function_env}');
    expect(Object.keys(serviceConfig.dynamic as object)).toEqual(['secret_environment_variables']);
  });

  it('deploys the four entry points on nodejs24 from the built zips', () => {
    const build = block(functions, 'build_config');
    expect(build.runtime).toBe('nodejs24');
    expect(build.entry_point).toBe('${each.key}');
    const names = Object.keys(platformLocals.functions as object).sort();
    expect(names).toEqual(['api', 'dispatcher', 'monitor', 'scheduler']);
    const source = resources(mod, 'google_storage_bucket_object').source as HclBody;
    expect(source.source).toBe('${local.artifacts_dir}/${each.key}.zip');
  });

  it('only the api is public; the internal functions are invocable by the tasks identity alone', () => {
    const invokers = resources(mod, 'google_cloud_run_v2_service_iam_member');
    expect(invokers.api_public).toMatchObject({ role: 'roles/run.invoker', member: 'allUsers' });
    expect(String(invokers.api_public?.name)).toContain('function["api"]');
    expect(invokers.internal_invoker).toMatchObject({
      role: 'roles/run.invoker',
      member: '${google_service_account.tasks_invoker.member}',
    });
    expect(invokers.internal_invoker?.for_each).toBe('${toset(["scheduler", "dispatcher", "monitor"])}');
    const fns = platformLocals.functions as Record<string, HclBody>;
    expect(fns.api?.ingress).toBe('ALLOW_ALL');
    for (const name of ['scheduler', 'dispatcher', 'monitor'])
      expect(fns[name]?.ingress).toBe('ALLOW_INTERNAL_ONLY');
  });

  it('KMS: only the api administers workspace keys and encrypts; dispatcher and monitor only decrypt; the scheduler has no key access', () => {
    const bindings = resources(mod, 'google_kms_key_ring_iam_member');
    expect(bindings.api_key_admin).toMatchObject({
      role: '${google_project_iam_custom_role.workspace_key_admin.name}',
      member: '${google_service_account.function["api"].member}',
    });
    expect(bindings.api_encrypt_decrypt?.role).toBe('roles/cloudkms.cryptoKeyEncrypterDecrypter');
    expect(bindings.decrypters).toMatchObject({
      role: 'roles/cloudkms.cryptoKeyDecrypter',
      for_each: '${toset(["dispatcher", "monitor"])}',
    });
    expect(Object.keys(bindings).sort()).toEqual(['api_encrypt_decrypt', 'api_key_admin', 'decrypters']);
    const admin = resources(mod, 'google_project_iam_custom_role').workspace_key_admin as HclBody;
    expect((admin.permissions as string[]).sort()).toEqual([
      'cloudkms.cryptoKeyVersions.create',
      'cloudkms.cryptoKeyVersions.destroy',
      'cloudkms.cryptoKeyVersions.list',
      'cloudkms.cryptoKeys.create',
      'cloudkms.cryptoKeys.get',
      'cloudkms.cryptoKeys.update',
    ]);
  });
});
