import { z } from 'zod';
import { Slug } from '../domain/ids.js';

/** Body of a dispatch task: launch this attempt of this run. */
export const DispatchTask = z.strictObject({
  workspace: Slug,
  runId: z.string().min(1).max(128),
  attempt: z.int().min(1),
});
export type DispatchTask = z.infer<typeof DispatchTask>;

/** Body of a monitor task: look at this attempt's execution (the n-th poll). */
export const MonitorTask = z.strictObject({
  workspace: Slug,
  runId: z.string().min(1).max(128),
  attempt: z.int().min(1),
  poll: z.int().min(0),
});
export type MonitorTask = z.infer<typeof MonitorTask>;

/** Task names de-duplicate: the same attempt is dispatched once, each poll enqueued once. */
export function dispatchTaskName(t: { runId: string; attempt: number }, suffix = ''): string {
  return `d-${t.runId}-a${t.attempt}${suffix}`;
}
export function monitorTaskName(t: { runId: string; attempt: number; poll: number }, suffix = ''): string {
  return `m-${t.runId}-a${t.attempt}-p${t.poll}${suffix}`;
}

/**
 * The dispatch-task suffix of a run the scheduler made: its schedule version. An edit
 * deletes the tasks of the runs it drops, and Cloud Tasks refuses a deleted name for
 * about an hour, so a run re-made under the next version needs a name of its own.
 */
export function scheduledTaskSuffix(scheduleVersion: number | undefined): string {
  return scheduleVersion === undefined ? '' : `-v${scheduleVersion}`;
}
