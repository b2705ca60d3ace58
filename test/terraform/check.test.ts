import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTerraform, formatProblem, loadSchemas, TERRAFORM_DIRS } from '../../scripts/terraform/check.js';

const REPO = resolve(import.meta.dirname, '../..');
const schemas = loadSchemas();
const copies: string[] = [];

/** A copy of the repository's Terraform with one file edited. */
function brokenCopy(file: string, edit: (text: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), 'pushrun-tf-'));
  copies.push(root);
  for (const dir of TERRAFORM_DIRS) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  expect(after, 'the edit must change the file').not.toBe(before);
  writeFileSync(path, after);
  return root;
}

/** 1-based line of the first occurrence of `needle` in the repository's copy of `file`. */
function lineOf(file: string, needle: string): number {
  const text = readFileSync(join(REPO, file), 'utf8');
  const at = text.indexOf(needle);
  expect(at, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return text.slice(0, at).split('\n').length;
}

afterAll(() => {
  for (const root of copies) rmSync(root, { recursive: true, force: true });
});

describe('terraform check', () => {
  it('the repository Terraform has no problems', async () => {
    const problems = await checkTerraform({ schemas });
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('checks the platform, the onboarding module and both examples', async () => {
    const { findModuleDirs } = await import('../../scripts/terraform/check.js');
    const dirs = findModuleDirs(REPO).map((d) => d.slice(REPO.length + 1));
    expect(dirs).toEqual(
      expect.arrayContaining([
        'terraform/platform',
        'terraform/modules/customer-onboarding',
        'examples/terraform/keyless',
        'examples/terraform/service-account-key',
      ]),
    );
  });

  it('an attribute typo fails with its file and line', async () => {
    const file = 'terraform/platform/queues.tf';
    const root = brokenCopy(file, (t) => t.replace('max_doublings = 5', 'max_doubling  = 5'));
    const problems = await checkTerraform({ root, schemas });
    expect(problems).toEqual([
      {
        file,
        line: lineOf(file, 'max_doublings = 5'),
        message: expect.stringMatching(/unknown argument "max_doubling" \(did you mean "max_doublings"\?\)/),
      },
    ]);
  });

  it('a nested block typo fails with its file and line', async () => {
    const file = 'terraform/platform/scheduler.tf';
    const root = brokenCopy(file, (t) => t.replace('oidc_token {', 'oidc_tokn {'));
    const problems = await checkTerraform({ root, schemas });
    expect(problems).toEqual([
      {
        file,
        line: lineOf(file, 'oidc_token {'),
        message: expect.stringMatching(/unknown block "oidc_tokn"/),
      },
    ]);
  });

  it('an unresolved variable fails with its file and line', async () => {
    const file = 'terraform/platform/functions.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('PUSHRUN_LOG_LEVEL             = var.log_level', 'PUSHRUN_LOG_LEVEL = var.loglevel'),
    );
    const problems = await checkTerraform({ root, schemas });
    expect(problems).toEqual([
      {
        file,
        line: lineOf(file, 'PUSHRUN_LOG_LEVEL'),
        message: expect.stringMatching(/unknown variable "var.loglevel" \(did you mean "log_level"\?\)/),
      },
    ]);
  });

  it('unresolved locals, resources and resource attributes fail', async () => {
    const file = 'terraform/platform/outputs.tf';
    const root = brokenCopy(file, (t) =>
      t
        .replace('value       = local.api_url', 'value       = local.apiurl')
        .replace('google_kms_key_ring.workspaces.id', 'google_kms_key_ring.workspace.id')
        .replace('google_service_account.build.email', 'google_service_account.build.mail'),
    );
    const messages = (await checkTerraform({ root, schemas })).map(formatProblem);
    expect(messages).toEqual([
      expect.stringMatching(/^terraform\/platform\/outputs\.tf:\d+: unknown local "local.apiurl"/),
      expect.stringMatching(/outputs\.tf:\d+: google_service_account.build has no attribute "mail"/),
      expect.stringMatching(/outputs\.tf:\d+: unknown reference "google_kms_key_ring.workspace.id"/),
    ]);
  });

  it('an unknown resource type fails', async () => {
    const file = 'terraform/platform/kms.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('resource "google_kms_key_ring" "workspaces"', 'resource "google_kms_keyring" "workspaces"'),
    );
    const problems = await checkTerraform({ root, schemas });
    expect(problems).toContainEqual({
      file,
      line: lineOf(file, 'resource "google_kms_key_ring" "workspaces"'),
      message: 'unknown resource type "google_kms_keyring" (did you mean "google_kms_key_ring"?)',
    });
  });

  it('an HCL syntax error fails with its line', async () => {
    const file = 'terraform/modules/customer-onboarding/outputs.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('value       = local.credential_name', 'value       = local.credential_name +'),
    );
    const problems = await checkTerraform({ root, schemas });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(file);
    expect(problems[0]?.message).toMatch(/^HCL syntax error: /);
    // The parser reports where the broken expression ends: on or right after the edited line.
    const line = lineOf(file, 'value       = local.credential_name');
    expect(problems[0]?.line).toBeGreaterThanOrEqual(line);
    expect(problems[0]?.line).toBeLessThanOrEqual(line + 1);
  });

  it('a module input that is not a variable of the module fails, and so does a missing required one', async () => {
    const file = 'examples/terraform/keyless/main.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('  workspace                = var.workspace\n', '  work_space = var.workspace\n'),
    );
    const messages = (await checkTerraform({ root, schemas })).map(formatProblem);
    expect(messages).toEqual([
      expect.stringMatching(
        /keyless\/main\.tf:\d+: module "pushrun": required variable "workspace" is not set/,
      ),
      expect.stringMatching(
        /keyless\/main\.tf:\d+: module "pushrun": "work_space" is not a variable of .*did you mean "workspace"/,
      ),
    ]);
  });

  it('a reference to a missing module output fails', async () => {
    const file = 'examples/terraform/service-account-key/main.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('module.pushrun.work_pool_name', 'module.pushrun.workpool'),
    );
    const messages = (await checkTerraform({ root, schemas })).map(formatProblem);
    expect(messages).toEqual([
      expect.stringMatching(/main\.tf:\d+: module "pushrun" has no output "workpool"/),
    ]);
  });

  it('a variable without a description fails', async () => {
    const file = 'terraform/platform/variables.tf';
    const root = brokenCopy(file, (t) =>
      t.replace('  description = "PUSHRUN_LOG_LEVEL of every function."\n', ''),
    );
    const messages = (await checkTerraform({ root, schemas })).map(formatProblem);
    expect(messages).toEqual([
      expect.stringMatching(/variables\.tf:\d+: variable "log_level" has no description/),
    ]);
  });
});
