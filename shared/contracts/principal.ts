import { z } from 'zod';
import { Slug } from '../domain/ids.js';
import { RoleName } from '../domain/permissions.js';
import { Timestamp } from './common.js';

export const Member = z.object({
  id: z.string(),
  email: z.email(),
  name: z.string().optional(),
  role: RoleName,
  active: z.boolean(),
  createdAt: Timestamp,
  // Set when an identity provider provisions the person through SCIM.
  externalId: z.string().optional(),
  userName: z.string().optional(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  updatedAt: Timestamp.optional(),
});
export type Member = z.infer<typeof Member>;

export const CreateMemberRequest = z.strictObject({
  email: z.email().max(320),
  name: z.string().min(1).max(200).optional(),
  role: RoleName,
});
export type CreateMemberRequest = z.infer<typeof CreateMemberRequest>;

export const ServiceAccount = z.object({
  name: Slug,
  description: z.string().optional(),
  role: RoleName,
  active: z.boolean(),
  createdAt: Timestamp,
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

export const CreateServiceAccountRequest = z.strictObject({
  name: Slug,
  description: z.string().max(1000).optional(),
  role: RoleName,
});
export type CreateServiceAccountRequest = z.infer<typeof CreateServiceAccountRequest>;

export const ApiKeyMetadata = z.object({
  id: z.string(),
  principal: z.string(),
  description: z.string().optional(),
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  lastUsedAt: Timestamp.optional(),
  revokedAt: Timestamp.optional(),
});
export type ApiKeyMetadata = z.infer<typeof ApiKeyMetadata>;

export const CreateApiKeyRequest = z.strictObject({
  description: z.string().max(500).optional(),
  /** Lifetime in seconds; absent = no expiry. */
  expiresInSeconds: z
    .int()
    .min(60)
    .max(3 * 366 * 86400)
    .optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** The only response that ever carries a key: the one that created it. */
export const CreatedApiKey = ApiKeyMetadata.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
