/**
 * Schedule math: when a schedule fires. Pure: no clock, no I/O; `now` is always an input.
 *
 * ## Cron (5 fields, IANA time zone), across DST
 * The rule depends on the hour field:
 *
 * - **Fixed hours** (the hour field is a number, list or range: `30 2 * * *`,
 *   `0 9-17 * * 1-5`, `*\/15 1 * * *`): the pattern names wall-clock times, and each wall
 *   time runs once.
 *   - A time that does not exist (spring forward: 02:30 in New York on 2026-03-08, in
 *     Berlin on 2026-03-29) runs once, at the first valid instant after the gap, i.e. the
 *     transition instant (03:00 local). Several missing times (`*\/15 2 * * *`) collapse
 *     into that one run, and a pattern that also names 03:00 runs once at 03:00.
 *   - A time that exists twice (fall back: 01:30 in New York on 2026-11-01, 02:30 in
 *     Berlin on 2026-10-25) runs once, at its first occurrence (the daylight-time one).
 * - **Wildcard hours** (the hour field starts with `*`: `0 * * * *`, `*\/15 * * * *`,
 *   `0 *\/2 * * *`): the pattern means "every so often", so it runs at every real instant
 *   whose wall time matches. In the repeated hour of a fall-back night `0 * * * *` runs
 *   twice (01:00 EDT and 01:00 EST are an hour apart), and in a spring-forward gap
 *   nothing is lost or bunched up: 01:45 EST is followed by 03:00 EDT, fifteen real
 *   minutes later. This is Vixie cron's and Cloud Scheduler's behaviour for such jobs.
 *
 * Why split on the hour field: a job "at 01:30" or "every 15 minutes during the 1 a.m.
 * hour" is about the clock on the wall, so a repeated hour must not double it and a
 * skipped hour must not lose it; a job "every hour" is about elapsed time, and the
 * repeated hour is a real hour of elapsed time. croner (11) already behaves like this
 * for wildcard hours, so it runs those natively in the zone. For fixed hours croner
 * counts a wildcard minute (`*\/15 1 * * *`) as an interval job, which would run the
 * repeated hour twice and drop the missing hour, so fixed-hour patterns are enumerated
 * by croner in floating wall-clock time and mapped to instants by
 * {@link floatingToInstant}, which implements the two rules above.
 *
 * ## Interval
 * `anchor` is the first run; then every `intervalSeconds`. Nothing runs before the anchor.
 * - Without `timezone`, or when the interval is not a whole number of days: fixed elapsed
 *   time. DST does not shift it: a 24 h interval keeps the same UTC instant all year
 *   (09:00 EST becomes 10:00 EDT on the wall).
 * - With `timezone` and a whole number of days: wall-clock days in that zone (as Prefect
 *   does). A daily run anchored at 09:00 Berlin stays at 09:00 Berlin across DST; a
 *   wall time that does not exist or exists twice follows the fixed-hour cron rules.
 *   Why: that is the only thing a timezone on an interval can mean (the anchor already
 *   names an instant), and "every day at nine" is what people mean by a daily interval
 *   in a zone. Users who want strict 24 h spacing leave the timezone out.
 *
 * ## RRULE (RFC 5545)
 * The rule is expanded in local (wall-clock) time of `timezone`, as RFC 5545 defines, and
 * each local time is mapped like a fixed-hour cron time: a repeated time runs once, at its
 * first occurrence (as RFC 5545 §3.3.5 says), and a missing time runs at the transition
 * instant. For the missing time RFC 5545 would use the offset before the gap (02:30 →
 * 03:30); we use the transition instant (03:00) so that all three schedule kinds follow
 * one rule for times that do not exist. rrule (2.8) is used in floating time only: its
 * `tzid` support converts through the process's local zone, so results would depend on
 * the machine. `DTSTART` may carry a TZID equal to `timezone`, be UTC (`…Z`), or be
 * floating; without DTSTART the rule starts 2024-01-01T00:00 local (a Monday), so times
 * default to midnight. COUNT needs a DTSTART. Rules that can never occur are refused by
 * the contract (rrule would otherwise search to the year 9999, or loop forever for
 * unreachable BYHOUR/BYMINUTE steps); a rule with no occurrence within 50 years, or
 * beyond a bounded search (scheduleRrule.ts), is treated as finished.
 */
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import type {
  CatchupPolicy,
  CronSchedule,
  IntervalSchedule,
  RruleSchedule,
  Schedule,
} from '../contracts/schedule.js';
import { floatingOccurrencesAfter, parseRrule } from './scheduleRrule.js';
import { floatingToInstant, instantToFloating } from './scheduleZone.js';

const DAY_SECONDS = 86_400;
const HOUR_MS = 3_600_000;

export interface NextOccurrencesOptions {
  /** Inclusive upper bound: nothing later is returned. */
  until?: Date;
  /** At most this many times (a non-negative integer). */
  limit: number;
}

export interface DueTimesOptions {
  /** Exclusive lower bound: the last materialised time, or the resume/creation point. */
  from: Date;
  now: Date;
  /** Inclusive end of the materialisation horizon. */
  horizonEnd: Date;
  catchup: CatchupPolicy;
  /** With catch-up `all`, how many of the most recent missed times to keep. */
  cap: number;
  /** At most this many upcoming times. */
  limit: number;
}

export interface DueTimes {
  /** Times in (from, now) to run late, chosen by the catch-up policy, ascending. */
  missed: Date[];
  /** Times in [now, horizonEnd], ascending, at most `limit`. */
  upcoming: Date[];
}

/**
 * The schedule's times strictly after `after`, ascending, at most `limit`, none after
 * `until`. Ignores `active` (a paused schedule still has a calendar, e.g. for previews).
 * Throws RangeError on an invalid date or limit, and Error on a schedule that does not
 * parse (schedules are validated by the contract before they get here).
 */
export function nextOccurrences(schedule: Schedule, after: Date, opts: NextOccurrencesOptions): Date[] {
  const afterMs = checkedTime(after, 'after');
  const untilMs = opts.until === undefined ? Number.POSITIVE_INFINITY : checkedTime(opts.until, 'until');
  checkedCount(opts.limit, 'limit');
  const result: Date[] = [];
  if (opts.limit === 0 || untilMs <= afterMs) return result;
  for (const time of occurrencesAfter(schedule, afterMs)) {
    if (time > untilMs) break;
    result.push(new Date(time));
    if (result.length >= opts.limit) break;
  }
  return result;
}

/**
 * What the scheduler should materialise for one schedule: the missed times in
 * (from, now) that the catch-up policy keeps (`skip`: none; `latest`: the most recent;
 * `all`: the most recent `cap`, older ones dropped), and the upcoming times in
 * [now, horizonEnd]. An inactive schedule has nothing due.
 */
export function dueTimes(schedule: Schedule, opts: DueTimesOptions): DueTimes {
  const fromMs = checkedTime(opts.from, 'from');
  const nowMs = checkedTime(opts.now, 'now');
  const horizonEndMs = checkedTime(opts.horizonEnd, 'horizonEnd');
  checkedCount(opts.cap, 'cap');
  checkedCount(opts.limit, 'limit');
  if (!schedule.active) return { missed: [], upcoming: [] };

  const keep = opts.catchup === 'skip' ? 0 : opts.catchup === 'latest' ? 1 : opts.cap;
  const missed = lastOccurrencesBetween(schedule, fromMs, nowMs, keep).map((time) => new Date(time));
  // Upcoming starts at `now` inclusive and never overlaps `missed`; it also never goes
  // back before `from`, so a `from` in the future (e.g. a schedule edited to start later)
  // is respected.
  const upcomingAfter = Math.max(fromMs, nowMs - 1);
  const upcoming = nextOccurrences(schedule, new Date(upcomingAfter), {
    until: new Date(horizonEndMs),
    limit: opts.limit,
  });
  return { missed, upcoming };
}

/**
 * The earliest time strictly after `after` at which any active schedule fires, or null
 * when none will. The scheduler stores it on the deployment as the indexed next-due field.
 */
export function nextDueAfter(schedules: readonly Schedule[], after: Date): Date | null {
  const afterMs = checkedTime(after, 'after');
  let earliest: number | null = null;
  for (const schedule of schedules) {
    if (!schedule.active) continue;
    const next = occurrencesAfter(schedule, afterMs).next();
    if (!next.done && (earliest === null || next.value < earliest)) earliest = next.value;
  }
  return earliest === null ? null : new Date(earliest);
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let output = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/**
 * The id of the run a schedule makes for a scheduled time: `s-` and 26 lowercase base32
 * characters (130 bits of SHA-256). The same inputs give the same id, so repeated or
 * concurrent scheduler ticks create each run once. Safe as a Firestore document id and
 * as part of a Cloud Tasks task name. Throws RangeError on an invalid date.
 */
export function deterministicRunId(deploymentId: string, scheduleId: string, scheduledTime: Date): string {
  const time = checkedTime(scheduledTime, 'scheduledTime');
  // JSON array encoding keeps the parts apart: ("a-b", "c") and ("a", "b-c") differ.
  const material = JSON.stringify([
    'pushrun/scheduled-run/v1',
    deploymentId,
    scheduleId,
    new Date(time).toISOString(),
  ]);
  const digest = createHash('sha256').update(material).digest();
  return `s-${base32(digest).slice(0, 26)}`;
}

// ---------------------------------------------------------------------------------------

function checkedTime(date: Date, name: string): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`${name} is not a valid date`);
  return time;
}

function checkedCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
}

/** The schedule's times strictly after `afterMs`, ascending, without repeats. */
function occurrencesAfter(schedule: Schedule, afterMs: number): Generator<number> {
  switch (schedule.kind) {
    case 'cron':
      return cronOccurrencesAfter(schedule, afterMs);
    case 'interval':
      return intervalOccurrencesAfter(schedule, afterMs);
    case 'rrule':
      return rruleOccurrencesAfter(schedule, afterMs);
  }
}

/** True when the hour field is a wildcard or a wildcard step (`*`, `*\/2`, `?`). */
export function hasWildcardHours(cron: string): boolean {
  const hour = cron.trim().split(/\s+/)[1] ?? '';
  return hour.startsWith('*') || hour.startsWith('?');
}

function* cronOccurrencesAfter(schedule: CronSchedule, afterMs: number): Generator<number> {
  if (hasWildcardHours(schedule.cron)) {
    const cron = new Cron(schedule.cron, { mode: '5-part', timezone: schedule.timezone });
    let cursor = afterMs;
    for (;;) {
      const next = cron.nextRun(new Date(cursor));
      if (next === null) return;
      const time = next.getTime();
      // croner moves in real time; the guard only protects the loop from ever stalling.
      if (time <= cursor) return;
      cursor = time;
      yield time;
    }
  }
  yield* fromFloating(floatingCron(schedule.cron, instantToFloating(afterMs, schedule.timezone)), {
    zone: schedule.timezone,
    afterMs,
  });
}

/** Wall-clock times matching the pattern strictly after `floating`, in floating time. */
function* floatingCron(pattern: string, floating: number): Generator<number> {
  const cron = new Cron(pattern, { mode: '5-part', timezone: 'UTC' });
  let cursor = floating;
  for (;;) {
    const next = cron.nextRun(new Date(cursor));
    if (next === null || next.getTime() <= cursor) return;
    cursor = next.getTime();
    yield cursor;
  }
}

/**
 * Maps ascending wall-clock times to instants, keeping those after `afterMs`, once each.
 * The floating stream must start at the wall time of `afterMs`: the mapping never
 * decreases, so no earlier wall time can map after `afterMs`. Later wall times can map
 * to `afterMs` or earlier (the second pass through a repeated hour), hence the filter.
 */
function* fromFloating(
  floatingTimes: Iterable<number>,
  opts: { zone: string; afterMs: number },
): Generator<number> {
  let last = opts.afterMs;
  for (const floating of floatingTimes) {
    const instant = floatingToInstant(floating, opts.zone);
    if (instant > last) {
      last = instant;
      yield instant;
    }
  }
}

function* intervalOccurrencesAfter(schedule: IntervalSchedule, afterMs: number): Generator<number> {
  const anchorMs = Date.parse(schedule.anchor);
  if (Number.isNaN(anchorMs)) throw new Error(`interval schedule ${schedule.id} has an invalid anchor`);
  const stepMs = schedule.intervalSeconds * 1000;
  const zone = schedule.timezone;

  if (zone === undefined || schedule.intervalSeconds % DAY_SECONDS !== 0) {
    let k = afterMs < anchorMs ? 0 : Math.floor((afterMs - anchorMs) / stepMs) + 1;
    for (;;) {
      yield anchorMs + k * stepMs;
      k += 1;
    }
  }

  // Wall-clock days: occurrence k is the anchor's wall time k×days later, mapped to an
  // instant; occurrence 0 is the anchor itself even if it lies in a repeated hour.
  const anchorFloating = instantToFloating(anchorMs, zone);
  const occurrence = (k: number): number =>
    k === 0 ? anchorMs : floatingToInstant(anchorFloating + k * stepMs, zone);
  // Each occurrence is within a few hours of anchor + k×step and steps are whole days,
  // so starting one step early and walking forward finds the first one after `afterMs`.
  let k = afterMs < anchorMs ? 0 : Math.max(0, Math.floor((afterMs - anchorMs) / stepMs) - 1);
  while (occurrence(k) <= afterMs) k += 1;
  for (;;) {
    yield occurrence(k);
    k += 1;
  }
}

function* rruleOccurrencesAfter(schedule: RruleSchedule, afterMs: number): Generator<number> {
  const parsed = parseRrule(schedule.rrule, schedule.timezone);
  if (!parsed.ok) throw new Error(`rrule schedule ${schedule.id} is invalid: ${parsed.message}`);
  yield* fromFloating(floatingOccurrencesAfter(parsed.rule, instantToFloating(afterMs, schedule.timezone)), {
    zone: schedule.timezone,
    afterMs,
  });
}

/**
 * The last `keep` times in the open interval (fromMs, beforeMs), ascending.
 *
 * A schedule paused for months can have a huge number of missed times, so this does not
 * walk them all: it looks at windows ending at `beforeMs`, growing fourfold until one
 * holds `keep` times or reaches `fromMs`, so the work follows `keep`, not the length of
 * the pause.
 */
function lastOccurrencesBetween(
  schedule: Schedule,
  fromMs: number,
  beforeMs: number,
  keep: number,
): number[] {
  if (keep === 0 || beforeMs - 1 <= fromMs) return [];
  let span = HOUR_MS;
  for (;;) {
    const windowStart = Math.max(fromMs, beforeMs - span);
    const found: number[] = [];
    for (const time of occurrencesAfter(schedule, windowStart)) {
      if (time >= beforeMs) break;
      found.push(time);
      if (found.length > keep) found.shift();
    }
    if (found.length >= keep || windowStart === fromMs) return found;
    span *= 4;
  }
}
