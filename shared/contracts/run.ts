import { z } from 'zod';
import { Slug } from '../domain/ids.js';
import { RunState, StateName, StateType } from '../domain/runStates.js';
import { PageQuery, Timestamp } from './common.js';
import { JobVariables } from './jobVariables.js';

export const CreateRunRequest = z.strictObject({
  parameters: z.record(z.string(), z.unknown()).default({}),
  jobVariables: JobVariables.optional(),
  /** When to start; default now. */
  scheduledTime: Timestamp.optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
});
export type CreateRunRequest = z.infer<typeof CreateRunRequest>;

export const Execution = z.object({
  /** Full Cloud Run execution resource name. */
  name: z.string(),
  job: z.string(),
  attempt: z.int(),
  launchedAt: Timestamp,
});
export type Execution = z.infer<typeof Execution>;

export const Run = z.object({
  id: z.string(),
  deployment: Slug,
  workPool: Slug,
  parameters: z.record(z.string(), z.unknown()),
  jobVariables: JobVariables,
  tags: z.array(z.string()),
  state: RunState,
  attempt: z.int(),
  scheduledTime: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  execution: Execution.optional(),
  scheduleId: z.string().optional(),
  /** The deployment's scheduleVersion when the scheduler made this run (names its dispatch task). */
  scheduleVersion: z.int().optional(),
  createdBy: z.string().optional(),
});
export type Run = z.infer<typeof Run>;

export const ListRunsQuery = PageQuery.extend({
  deployment: Slug.optional(),
  state: StateType.optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

export const ProposeStateRequest = z.strictObject({
  type: StateType,
  name: StateName.optional(),
  message: z.string().max(4000).optional(),
  transitionId: z.string().min(1).max(128).optional(),
});
export type ProposeStateRequest = z.infer<typeof ProposeStateRequest>;

export const OrchestrationResult = z.object({
  status: z.enum(['ACCEPT', 'REJECT', 'WAIT', 'ABORT']),
  state: RunState.optional(),
  applied: z.boolean().optional(),
  reason: z.string().optional(),
  retryAfterSeconds: z.int().optional(),
});
export type OrchestrationResult = z.infer<typeof OrchestrationResult>;

export const StateHistoryEntry = RunState.extend({ attempt: z.int(), seq: z.int() });
export type StateHistoryEntry = z.infer<typeof StateHistoryEntry>;
