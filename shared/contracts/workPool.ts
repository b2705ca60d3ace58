import { z } from 'zod';
import { AccessList } from '../domain/access.js';
import { Slug } from '../domain/ids.js';
import { Timestamp } from './common.js';
import { JobVariables } from './jobVariables.js';

export const WorkPoolKind = z.enum(['cloud-run', 'managed', 'hybrid']);
export type WorkPoolKind = z.infer<typeof WorkPoolKind>;

export const Region = z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'a Cloud Run region such as europe-west1');
export const ProjectId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a GCP project id: 6–30 lowercase letters, digits or hyphens');

const workPoolFields = {
  description: z.string().max(1000).optional(),
  /** Credential that grants access to the customer project (cloud-run pools). */
  credential: Slug.optional(),
  projectId: ProjectId.optional(),
  region: Region.optional(),
  baseJobTemplate: JobVariables.default({}),
  /** PENDING + RUNNING runs allowed at once in this pool; null = unlimited. */
  concurrencyLimit: z.int().min(0).max(100_000).nullable().default(null),
  paused: z.boolean().default(false),
  /** Who may see/run/manage the pool (and the deployments in it); null or absent = no restriction. */
  access: AccessList.nullable().optional(),
};

export const CreateWorkPoolRequest = z
  .strictObject({ name: Slug, kind: WorkPoolKind, ...workPoolFields })
  .superRefine((pool, ctx) => {
    if (pool.kind !== 'cloud-run') return;
    for (const field of ['credential', 'projectId', 'region'] as const) {
      if (pool[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `required for a cloud-run work pool` });
      }
    }
    // Never silently the project's default compute account (often an Editor): say which account, or opt in.
    const t = pool.baseJobTemplate;
    if (t.serviceAccount === undefined && t.useDefaultComputeServiceAccount !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseJobTemplate', 'serviceAccount'],
        message:
          'required for a cloud-run work pool (or set useDefaultComputeServiceAccount: true explicitly)',
      });
    }
  });
export type CreateWorkPoolRequest = z.infer<typeof CreateWorkPoolRequest>;

export const UpdateWorkPoolRequest = z.strictObject({
  description: workPoolFields.description,
  credential: workPoolFields.credential,
  projectId: workPoolFields.projectId,
  region: workPoolFields.region,
  baseJobTemplate: JobVariables.optional(),
  concurrencyLimit: z.int().min(0).max(100_000).nullable().optional(),
  paused: z.boolean().optional(),
  access: workPoolFields.access,
});
export type UpdateWorkPoolRequest = z.infer<typeof UpdateWorkPoolRequest>;

export const WorkPool = z.object({
  name: Slug,
  kind: WorkPoolKind,
  description: z.string().optional(),
  credential: Slug.optional(),
  projectId: z.string().optional(),
  region: z.string().optional(),
  baseJobTemplate: JobVariables,
  concurrencyLimit: z.int().nullable(),
  paused: z.boolean(),
  access: AccessList.nullable().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type WorkPool = z.infer<typeof WorkPool>;
