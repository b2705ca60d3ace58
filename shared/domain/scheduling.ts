/**
 * When the scheduler materialises a deployment's scheduled runs, and how edits reset it.
 * Pure: `now`/`tick` are inputs. The schedule math itself is in schedules.ts.
 *
 * ## Horizon
 * Runs are materialised up to {@link SCHEDULE_HORIZON_MS} (1 hour) ahead of the tick, so
 * the next hour of a deployment's runs is visible through `GET …/runs` as SCHEDULED
 * runs, and each dispatch task is enqueued with `scheduleTime` at most an hour ahead
 * (far inside Cloud Tasks' 30-day limit, and short enough that an edit has little to
 * undo). One tick creates at most {@link MAX_RUNS_PER_DEPLOYMENT_TICK} runs per deployment
 * (two writes each, within Firestore's 500 writes per transaction), shared among its
 * active schedules; a denser calendar is caught up by the following ticks, because the
 * cursor then stops at the last run made.
 *
 * ## Bookkeeping on the deployment document
 * - `scheduledThrough` (the cursor): every schedule time up to it has a run, or was
 *   skipped by the catch-up policy.
 * - `nextMaterializeAt` (indexed): when the next un-materialised time enters the horizon;
 *   the tick's one query is `nextMaterializeAt <= tick`, so a tick touches only
 *   deployments with work to do. Absent when paused or when no schedule is active.
 * - `onTimeFrom`: times at or after it are on time even if the tick sees them late
 *   (set by create, edit and resume, so the minute between an edit and the next tick
 *   is not mistaken for missed times); times between the cursor and it are missed and
 *   go through the catch-up policy (a pause, or the scheduler being down).
 * - `scheduleVersion`: bumped by every edit that drops future runs; it names the
 *   dispatch tasks of the runs made under it, so a re-made run gets a fresh task name
 *   (Cloud Tasks refuses a deleted task's name for about an hour).
 */
import type { Deployment } from '../contracts/deployment.js';
import type { Schedule } from '../contracts/schedule.js';
import { dueTimes, nextDueAfter } from './schedules.js';

export const SCHEDULE_HORIZON_MS = 60 * 60_000;
export const MAX_RUNS_PER_DEPLOYMENT_TICK = 200;
/** A SCHEDULED run this long past its time is marked Late (it still runs). */
export const LATE_AFTER_MS = 60_000;

export type SchedulingState = Pick<
  Deployment,
  'paused' | 'schedules' | 'scheduleVersion' | 'scheduledThrough' | 'nextMaterializeAt' | 'onTimeFrom'
>;

export interface PlannedRun {
  scheduleId: string;
  time: Date;
  /** Already LATE_AFTER_MS past its time at the tick (a caught-up time, or a late tick). */
  late: boolean;
}

export interface MaterializePlan {
  runs: PlannedRun[];
  scheduledThrough: Date;
  nextMaterializeAt: Date | null;
  onTimeFrom: Date | null;
}

function activeSchedules(schedules: readonly Schedule[]): Schedule[] {
  return schedules.filter((s) => s.active);
}

/**
 * What one tick does for one deployment, or null when the deployment is not due at
 * `tick` (another tick for the same minute already did it: this is what makes ticks
 * idempotent). A paused deployment or one without an active schedule gets no runs and
 * its `nextMaterializeAt` cleared.
 */
export function planMaterialization(
  d: SchedulingState & Pick<Deployment, 'catchup' | 'catchupCap' | 'createdAt'>,
  tick: Date,
): MaterializePlan | null {
  if (d.nextMaterializeAt === undefined || Date.parse(d.nextMaterializeAt) > tick.getTime()) return null;
  const cursor = new Date(d.scheduledThrough ?? d.createdAt);
  const active = activeSchedules(d.schedules);
  if (d.paused || active.length === 0) {
    return {
      runs: [],
      scheduledThrough: cursor,
      nextMaterializeAt: null,
      onTimeFrom: d.onTimeFrom ? new Date(d.onTimeFrom) : null,
    };
  }
  const tickMs = tick.getTime();
  const now = d.onTimeFrom === undefined ? tickMs : Math.min(tickMs, Date.parse(d.onTimeFrom));
  const horizonEnd = tickMs + SCHEDULE_HORIZON_MS;
  const budget = Math.max(1, Math.floor(MAX_RUNS_PER_DEPLOYMENT_TICK / active.length));

  let through = horizonEnd;
  const perSchedule: { schedule: Schedule; missed: Date[]; upcoming: Date[] }[] = [];
  for (const schedule of active) {
    const due = dueTimes(schedule, {
      from: cursor,
      now: new Date(now),
      horizonEnd: new Date(horizonEnd),
      catchup: d.catchup,
      cap: Math.min(d.catchupCap, budget),
      limit: budget,
    });
    const allowed = budget - due.missed.length;
    const upcoming = due.upcoming.slice(0, allowed);
    // Budget used up: this schedule may have more times before the horizon, so the
    // cursor must not pass its last run.
    if (due.upcoming.length >= allowed) {
      const cut = upcoming.at(-1)?.getTime() ?? now - 1;
      through = Math.min(through, cut);
    }
    perSchedule.push({ schedule, missed: due.missed, upcoming });
  }
  const runs: PlannedRun[] = [];
  for (const { schedule, missed, upcoming } of perSchedule) {
    for (const time of [...missed, ...upcoming.filter((t) => t.getTime() <= through)]) {
      runs.push({ scheduleId: schedule.id, time, late: time.getTime() <= tickMs - LATE_AFTER_MS });
    }
  }
  runs.sort((a, b) => a.time.getTime() - b.time.getTime());
  const nextDue = nextDueAfter(active, new Date(through));
  return {
    runs,
    scheduledThrough: new Date(through),
    // Strictly after the tick, so a second tick for the same minute finds nothing to do.
    nextMaterializeAt:
      nextDue === null ? null : new Date(Math.max(nextDue.getTime() - SCHEDULE_HORIZON_MS, tickMs + 1)),
    onTimeFrom: through < now ? new Date(now) : null,
  };
}

export type ScheduleEdit = 'create' | 'edit' | 'pause' | 'resume' | 'edit-paused';

/** Which kind of edit takes a deployment from `before` (absent: creation) to `after`. */
export function classifyEdit(before: { paused: boolean } | null, after: { paused: boolean }): ScheduleEdit {
  if (before === null) return 'create';
  if (!before.paused && after.paused) return 'pause';
  if (before.paused && !after.paused) return 'resume';
  return after.paused ? 'edit-paused' : 'edit';
}

/**
 * The scheduler bookkeeping after an edit at `now`. Every edit of an active deployment
 * drops its future scheduled runs (the caller deletes them in the same transaction) and
 * restarts materialisation from `now`, so the next tick makes runs from the new
 * definition. A pause keeps the cursor at the pause point; resume leaves it there so the
 * catch-up policy sees the times missed in between, and marks `now` as on time.
 */
export function schedulingAfterEdit(
  before: SchedulingState | null,
  after: Pick<Deployment, 'paused' | 'schedules'>,
  now: Date,
): Pick<Deployment, 'scheduleVersion' | 'scheduledThrough' | 'nextMaterializeAt' | 'onTimeFrom'> {
  const kind = classifyEdit(before, after);
  const at = now.toISOString();
  const version = (before?.scheduleVersion ?? 0) + 1;
  const hasActive = activeSchedules(after.schedules).length > 0;
  const pausePoint = before?.scheduledThrough ?? at;
  switch (kind) {
    case 'pause':
      return { scheduleVersion: version, scheduledThrough: minIso(pausePoint, at) };
    case 'edit-paused':
      return { scheduleVersion: version, scheduledThrough: minIso(pausePoint, at) };
    case 'resume':
      return {
        scheduleVersion: version,
        scheduledThrough: minIso(pausePoint, at),
        onTimeFrom: at,
        ...(hasActive ? { nextMaterializeAt: at } : {}),
      };
    case 'create':
    case 'edit':
      return {
        scheduleVersion: version,
        scheduledThrough: at,
        onTimeFrom: at,
        ...(hasActive ? { nextMaterializeAt: at } : {}),
      };
  }
}

function minIso(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? new Date(a).toISOString() : b;
}
