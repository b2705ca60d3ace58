import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { z } from 'zod';
import { parseRrule } from '../domain/scheduleRrule.js';
import { resolveTimeZone } from '../domain/scheduleZone.js';

/**
 * Schedules of a deployment: the wire contract and the stored shape. The semantics of
 * each kind (DST, intervals, RRULE) are documented in shared/domain/schedules.ts.
 */

export const MAX_SCHEDULES_PER_DEPLOYMENT = 20;
export const MIN_INTERVAL_SECONDS = 60;
/** The longest interval; longer cadences are calendar rules, better said with cron or RRULE. */
export const MAX_INTERVAL_SECONDS = 31 * 86_400;

/** What to do with the times a deployment missed while paused or while pushrun was down. */
export const CatchupPolicy = z.enum(['skip', 'latest', 'all']);
export type CatchupPolicy = z.infer<typeof CatchupPolicy>;
export const DEFAULT_CATCHUP_POLICY: CatchupPolicy = 'skip';

/** With policy `all`, at most this many missed times run (the most recent ones). */
export const DEFAULT_CATCHUP_CAP = 10;
export const MAX_CATCHUP_CAP = 100;
export const CatchupCap = z.int().min(1).max(MAX_CATCHUP_CAP).default(DEFAULT_CATCHUP_CAP);
export type CatchupCap = z.infer<typeof CatchupCap>;

/** A schedule id: a lowercase slug, unique within its deployment, part of every run id it makes. */
export const ScheduleId = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be a lowercase slug of 1-63 letters, digits and hyphens',
  );
export type ScheduleId = z.infer<typeof ScheduleId>;

/** An IANA time zone name, stored in Intl's own spelling ("america/new_york" → "America/New_York"). */
export const TimeZone = z.string().transform((zone, ctx) => {
  const resolved = resolveTimeZone(zone);
  if (resolved === null) {
    ctx.addIssue({ code: 'custom', message: `unknown IANA time zone "${zone}"` });
    return z.NEVER;
  }
  return resolved;
});
export type TimeZone = z.infer<typeof TimeZone>;

const CronExpression = z
  .string()
  .max(200)
  .transform((value) => value.trim().split(/\s+/).join(' '))
  .superRefine((cron, ctx) => {
    // Exactly five fields: the DST rules in schedules.ts read the hour field, and seconds
    // or nicknames (@daily) would only hide it.
    if (cron.split(' ').length !== 5) {
      ctx.addIssue({
        code: 'custom',
        message: 'must have 5 fields: minute hour day-of-month month day-of-week',
      });
      return;
    }
    try {
      new Cron(cron, { mode: '5-part', timezone: 'UTC' });
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
      ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${reason}` });
    }
  });

const IsoInstant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a UTC offset or Z' })
  // One spelling per instant, so equal anchors hash and compare equal.
  .transform((value) => new Date(value).toISOString());

const cronFields = {
  kind: z.literal('cron'),
  cron: CronExpression,
  timezone: TimeZone,
  active: z.boolean().default(true),
};

const intervalFields = {
  kind: z.literal('interval'),
  intervalSeconds: z.int().min(MIN_INTERVAL_SECONDS).max(MAX_INTERVAL_SECONDS),
  anchor: IsoInstant,
  timezone: TimeZone.optional(),
  active: z.boolean().default(true),
};

const rruleFields = {
  kind: z.literal('rrule'),
  rrule: z.string().min(1).max(1000),
  timezone: TimeZone,
  active: z.boolean().default(true),
};

// The rule's DTSTART may carry a TZID that must agree with `timezone`, so the rule is
// checked at the object level and the issue pointed at the `rrule` field.
function checkRrule(value: { rrule: string; timezone: string }, ctx: z.RefinementCtx): void {
  const parsed = parseRrule(value.rrule, value.timezone);
  if (!parsed.ok)
    ctx.addIssue({ code: 'custom', path: ['rrule'], message: `invalid RRULE: ${parsed.message}` });
}

/** A schedule as the API accepts it: `id` may be left out and is then derived from the definition. */
export const ScheduleInput = z.discriminatedUnion('kind', [
  z.strictObject({ ...cronFields, id: ScheduleId.optional() }),
  z.strictObject({ ...intervalFields, id: ScheduleId.optional() }),
  z.strictObject({ ...rruleFields, id: ScheduleId.optional() }).superRefine(checkRrule),
]);
export type ScheduleInput = z.infer<typeof ScheduleInput>;

/** A schedule as stored and as the domain functions take it. */
export const Schedule = z.discriminatedUnion('kind', [
  z.strictObject({ ...cronFields, id: ScheduleId }),
  z.strictObject({ ...intervalFields, id: ScheduleId }),
  z.strictObject({ ...rruleFields, id: ScheduleId }).superRefine(checkRrule),
]);
export type Schedule = z.infer<typeof Schedule>;

export type CronSchedule = Extract<Schedule, { kind: 'cron' }>;
export type IntervalSchedule = Extract<Schedule, { kind: 'interval' }>;
export type RruleSchedule = Extract<Schedule, { kind: 'rrule' }>;

/**
 * The id of a schedule given without one: a hash of what makes it fire (not of `active`,
 * so pausing a schedule keeps its id and its runs' ids). Editing the definition yields a
 * new id, so the runs of the old definition are told apart from the new one's.
 */
export function deriveScheduleId(input: ScheduleInput): ScheduleId {
  let definition: unknown[];
  switch (input.kind) {
    case 'cron':
      definition = ['cron', input.cron, input.timezone];
      break;
    case 'interval':
      definition = ['interval', input.intervalSeconds, input.anchor, input.timezone ?? null];
      break;
    case 'rrule':
      definition = ['rrule', input.rrule.trim(), input.timezone];
      break;
  }
  const digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  return `${input.kind}-${digest.slice(0, 16)}`;
}

/**
 * A deployment's schedules as the API accepts them, with ids filled in. Ids must be
 * unique within the deployment: they are part of every scheduled run's id.
 */
export const Schedules = z
  .array(ScheduleInput)
  .max(MAX_SCHEDULES_PER_DEPLOYMENT)
  .transform((inputs): Schedule[] =>
    inputs.map((input) => ({ ...input, id: input.id ?? deriveScheduleId(input) })),
  )
  .superRefine((schedules, ctx) => {
    const seen = new Map<string, number>();
    schedules.forEach((schedule, index) => {
      const first = seen.get(schedule.id);
      if (first === undefined) {
        seen.set(schedule.id, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `schedule id "${schedule.id}" is already used by schedule ${first} (same definition or same id)`,
      });
    });
  });
export type Schedules = z.infer<typeof Schedules>;
