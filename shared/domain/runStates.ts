import { z } from 'zod';

export const StateType = z.enum([
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLING',
  'CANCELLED',
]);
export type StateType = z.infer<typeof StateType>;

export const StateName = z.enum([
  'Scheduled',
  'Late',
  'AwaitingRetry',
  'AwaitingConcurrencySlot',
  'Pending',
  'Running',
  'Retrying',
  'Completed',
  'Failed',
  'Crashed',
  'Cancelling',
  'Cancelled',
]);
export type StateName = z.infer<typeof StateName>;

/** Which names refine which type; the first is the default name of the type. */
export const NAMES_BY_TYPE: Record<StateType, readonly StateName[]> = {
  SCHEDULED: ['Scheduled', 'Late', 'AwaitingRetry', 'AwaitingConcurrencySlot'],
  PENDING: ['Pending'],
  RUNNING: ['Running', 'Retrying'],
  COMPLETED: ['Completed'],
  FAILED: ['Failed'],
  CRASHED: ['Crashed'],
  CANCELLING: ['Cancelling'],
  CANCELLED: ['Cancelled'],
};

export const TERMINAL_TYPES: ReadonlySet<StateType> = new Set([
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED',
]);
export const ACTIVE_TYPES: ReadonlySet<StateType> = new Set(['PENDING', 'RUNNING', 'CANCELLING']);

export function isTerminal(type: StateType): boolean {
  return TERMINAL_TYPES.has(type);
}

export function defaultName(type: StateType): StateName {
  return NAMES_BY_TYPE[type][0] as StateName;
}

export const RunState = z.strictObject({
  type: StateType,
  name: StateName,
  timestamp: z.iso.datetime(),
  message: z.string().max(4000).optional(),
});
export type RunState = z.infer<typeof RunState>;
