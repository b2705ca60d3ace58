import { z } from 'zod';
import { Slug } from '../domain/ids.js';
import { Timestamp } from './common.js';

export const WorkspaceSettings = z.strictObject({
  logsEnabled: z.boolean().default(true),
  /**
   * When non-empty, people sign in (SSO) and use member API keys only with an
   * e-mail in these domains; owners' API keys keep working as break-glass, audited.
   */
  allowedEmailDomains: z
    .array(
      z
        .string()
        .max(253)
        .regex(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/, 'a lowercase DNS domain such as example.com'),
    )
    .max(50)
    .optional(),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

export const CreateWorkspaceRequest = z.strictObject({
  name: Slug,
  displayName: z.string().min(1).max(200).optional(),
  ownerEmail: z.email().max(320),
  ownerName: z.string().min(1).max(200).optional(),
  settings: WorkspaceSettings.partial().optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof CreateWorkspaceRequest>;

export const UpdateWorkspaceRequest = z.strictObject({
  displayName: z.string().min(1).max(200).optional(),
  settings: WorkspaceSettings.partial().optional(),
});
export type UpdateWorkspaceRequest = z.infer<typeof UpdateWorkspaceRequest>;

export const Workspace = z.object({
  name: Slug,
  displayName: z.string(),
  settings: WorkspaceSettings,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Workspace = z.infer<typeof Workspace>;
