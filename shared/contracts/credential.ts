import { z } from 'zod';
import { AccessList } from '../domain/access.js';
import { Slug } from '../domain/ids.js';
import { Timestamp } from './common.js';
import { ProjectId } from './workPool.js';

export const CredentialKind = z.enum(['service_account_key', 'impersonation']);
export type CredentialKind = z.infer<typeof CredentialKind>;

/**
 * Registering access to a customer project. The key is accepted as a JSON
 * object and never returned; `impersonation` carries no secret at all.
 */
export const CreateCredentialRequest = z
  .strictObject({
    name: Slug,
    kind: CredentialKind,
    projectId: ProjectId,
    description: z.string().max(1000).optional(),
    serviceAccountKey: z.record(z.string(), z.unknown()).optional(),
    serviceAccountEmail: z.email().optional(),
    /** Who may see (view), use in a work pool (run) or change (manage) it; absent = everyone with the role. */
    access: AccessList.nullable().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'service_account_key') {
      if (c.serviceAccountKey === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['serviceAccountKey'],
          message: 'required for kind service_account_key',
        });
      }
      if (c.serviceAccountEmail !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['serviceAccountEmail'],
          message: 'comes from the key; do not set it',
        });
      }
    } else {
      if (c.serviceAccountEmail === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['serviceAccountEmail'],
          message: 'required for kind impersonation',
        });
      }
      if (c.serviceAccountKey !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['serviceAccountKey'], message: 'impersonation stores no key' });
      }
    }
  });
export type CreateCredentialRequest = z.infer<typeof CreateCredentialRequest>;

/** What the API shows of a credential: metadata only, never key material. */
export const Credential = z.object({
  name: Slug,
  kind: CredentialKind,
  projectId: z.string(),
  description: z.string().optional(),
  clientEmail: z.email(),
  /** The key's id (service_account_key only): lets a customer match it to their key list. */
  keyId: z.string().optional(),
  /** SHA-256 of the public identity (email + key id), to compare registrations without seeing the key. */
  fingerprint: z.string(),
  verifiedAt: Timestamp.optional(),
  missingPermissions: z.array(z.string()),
  access: AccessList.nullable().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Credential = z.infer<typeof Credential>;

/** Metadata only: key material is replaced by registering a new credential. */
export const UpdateCredentialRequest = z.strictObject({
  description: z.string().max(1000).optional(),
  access: AccessList.nullable().optional(),
});
export type UpdateCredentialRequest = z.infer<typeof UpdateCredentialRequest>;

export const VerifyCredentialResult = z.object({
  credential: Credential,
  ok: z.boolean(),
  missingPermissions: z.array(z.string()),
});
export type VerifyCredentialResult = z.infer<typeof VerifyCredentialResult>;
