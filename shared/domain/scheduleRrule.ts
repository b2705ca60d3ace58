import type { Options } from 'rrule';
// rrule ships CommonJS as its Node entry point, so its named exports are reachable only
// through the default import.
import rrulePackage from 'rrule';
import { instantToFloating, resolveTimeZone } from './scheduleZone.js';

const { RRule, Frequency } = rrulePackage;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * DTSTART used when the rule has none. 2024-01-01 00:00 local is a Monday and the first
 * of a year and a month, so `FREQ=WEEKLY` without BYDAY means Mondays, `FREQ=MONTHLY`
 * means the 1st, and times default to midnight, which is what people guess.
 */
const DEFAULT_DTSTART_FLOATING = Date.UTC(2024, 0, 1, 0, 0, 0);

const FREQUENCY_PERIOD: Record<number, string> = {
  [Frequency.YEARLY]: 'years',
  [Frequency.MONTHLY]: 'months',
  [Frequency.WEEKLY]: 'weeks',
  [Frequency.DAILY]: 'days',
  [Frequency.HOURLY]: 'hours',
  [Frequency.MINUTELY]: 'minutes',
};

/** How far ahead an RRULE is searched before it is taken to have no further occurrence. */
export const RRULE_LOOKAHEAD_MS = 50 * 366 * DAY_MS;

/** The most rrule periods (days of a DAILY rule, months of a MONTHLY one…) one query may walk. */
export const RRULE_MAX_PERIODS_PER_QUERY = 50_000;

/** An RRULE ready to enumerate in floating (wall-clock) time; see scheduleZone.ts. */
export interface FloatingRrule {
  options: Partial<Options>;
  /** DTSTART as a floating time. */
  dtstart: number;
  /** UNTIL as a floating time, or null. */
  until: number | null;
}

export type RruleParseResult = { ok: true; rule: FloatingRrule } | { ok: false; message: string };

const DTSTART_LINE = /^DTSTART(?:;TZID=([^:;]+))?:(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i;
const UNTIL_ATTR = /(?:^|;)UNTIL=(\d{8}(?:T\d{6})?)(Z?)(?:;|$)/i;

const NUMERIC_RANGES: ReadonlyArray<[keyof Options, number, number, boolean]> = [
  // [option, min, max, may be negative (counted from the end)]
  ['bysetpos', 1, 366, true],
  ['bymonth', 1, 12, false],
  ['bymonthday', 1, 31, true],
  ['byyearday', 1, 366, true],
  ['byweekno', 1, 53, true],
  ['byhour', 0, 23, false],
  ['byminute', 0, 59, false],
  ['bysecond', 0, 59, false],
];

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * Parses one RFC 5545 recurrence rule (`FREQ=…` or `RRULE:FREQ=…`), optionally preceded by
 * a `DTSTART` line, for a schedule in `zone`. rrule's own parser accepts unknown values
 * silently (BYDAY=XX becomes `undefined`, BYHOUR=abc stays a string), so every option is
 * checked here before the rule reaches the scheduler.
 */
export function parseRrule(text: string, zone: string): RruleParseResult {
  const fail = (message: string): RruleParseResult => ({ ok: false, message });
  const resolvedZone = resolveTimeZone(zone);
  if (resolvedZone === null) return fail(`unknown time zone "${zone}"`);

  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  let dtstartLine: string | null = null;
  let ruleBody: string | null = null;
  for (const line of lines) {
    if (/^DTSTART[:;]/i.test(line)) {
      if (dtstartLine !== null) return fail('more than one DTSTART');
      dtstartLine = line;
    } else if (/^RRULE:/i.test(line) || /^FREQ=/i.test(line)) {
      if (ruleBody !== null) return fail('exactly one RRULE is supported');
      ruleBody = line.replace(/^RRULE:/i, '');
    } else {
      const name = /^[A-Z-]+/i.exec(line)?.[0] ?? line.slice(0, 20);
      return fail(`unsupported property "${name}": only DTSTART and one RRULE are accepted`);
    }
  }
  if (ruleBody === null) return fail('missing RRULE (e.g. "FREQ=WEEKLY;BYDAY=MO")');
  if (/DTSTART|TZID/i.test(ruleBody)) return fail('DTSTART goes on its own line, not inside the RRULE');

  let options: Partial<Options>;
  try {
    options = RRule.parseString(`RRULE:${ruleBody}`);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }

  if (options.freq === undefined || options.freq === null) {
    return fail('FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY');
  }
  if (options.freq === Frequency.SECONDLY) {
    return fail('FREQ=SECONDLY is not supported: schedules have minute resolution');
  }
  if (/(?:^|;)WKST=/i.test(ruleBody) && (options.wkst === undefined || options.wkst === null)) {
    return fail('WKST must be a weekday (MO, TU, WE, TH, FR, SA, SU)');
  }
  for (const key of ['interval', 'count'] as const) {
    const value = options[key];
    if (value !== undefined && value !== null && !(Number.isInteger(value) && value >= 1)) {
      return fail(`${key.toUpperCase()} must be a positive integer`);
    }
  }
  for (const [key, min, max, signed] of NUMERIC_RANGES) {
    const value = options[key];
    if (value === undefined || value === null) continue;
    for (const item of asList(value)) {
      const ok =
        typeof item === 'number' &&
        Number.isInteger(item) &&
        ((item >= min && item <= max) || (signed && item <= -min && item >= -max));
      if (!ok) return fail(`${key.toUpperCase()} has an invalid value "${String(item)}"`);
    }
  }
  if (options.byweekday !== undefined && options.byweekday !== null) {
    if (asList(options.byweekday).some((day) => day === undefined || day === null)) {
      return fail('BYDAY must list weekdays such as MO, TU or -1FR');
    }
  }

  let dtstart = DEFAULT_DTSTART_FLOATING;
  if (dtstartLine !== null) {
    const match = DTSTART_LINE.exec(dtstartLine);
    if (match === null) {
      return fail(
        'DTSTART must be a local date-time (DTSTART;TZID=Europe/Berlin:20260105T090000) or UTC (DTSTART:20260105T080000Z)',
      );
    }
    const [, tzid, year, month, day, hour, minute, second, utc] = match;
    const fields = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
    );
    if (Number.isNaN(fields)) return fail('DTSTART is not a valid date-time');
    if (tzid !== undefined && resolveTimeZone(tzid) !== resolvedZone) {
      return fail(`DTSTART TZID "${tzid}" differs from the schedule's timezone "${zone}"`);
    }
    // A UTC DTSTART names an instant; the rule recurs in the schedule's zone, so start from
    // the wall time that instant shows there.
    dtstart = utc === 'Z' ? instantToFloating(fields, resolvedZone) : fields;
  } else if (options.count !== undefined && options.count !== null) {
    return fail('COUNT needs a DTSTART to count from');
  }

  let until: number | null = null;
  if (options.until instanceof Date) {
    if (Number.isNaN(options.until.getTime())) return fail('UNTIL is not a valid date-time');
    const utc = UNTIL_ATTR.exec(ruleBody)?.[2] === 'Z';
    until = utc ? instantToFloating(options.until.getTime(), resolvedZone) : options.until.getTime();
  }

  const phaseProblem = unreachableTimeFilter(options, dtstart);
  if (phaseProblem !== null) return fail(phaseProblem);

  // Evaluated in floating time: rrule's own tzid support converts through the process's
  // local zone, which would make results depend on where the code runs.
  const { tzid: _tzid, dtstart: _dtstart, until: _until, ...rest } = options;
  const rule: FloatingRrule = { options: rest, dtstart, until };

  // A rule whose filters never meet (BYMONTH=2;BYMONTHDAY=30) is refused here rather than
  // found out by the scheduler. A rule that has ended (COUNT or UNTIL in the past) is fine
  // as long as it occurred at least once.
  const probe = boundedQuery(rule, (engine) => {
    const first = engine.after(new Date(dtstart), true);
    return first === null ? [] : [first];
  });
  if (probe.dates.length === 0) {
    return fail(
      probe.exhausted
        ? `the rule has no occurrence within ${RRULE_MAX_PERIODS_PER_QUERY} ${FREQUENCY_PERIOD[options.freq]} of its start`
        : 'the rule never occurs',
    );
  }
  return { ok: true, rule };
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/**
 * rrule advances HOURLY and MINUTELY rules in an inner loop that only stops at an hour
 * (and minute) allowed by BYHOUR (and BYMINUTE); a combination the step can never reach
 * (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour) loops forever. Such rules are
 * refused. For MINUTELY with BYHOUR/BYMINUTE the reachable set is only simple when the
 * step divides an hour, so other steps are refused there (cron says those better).
 */
function unreachableTimeFilter(options: Partial<Options>, dtstart: number): string | null {
  const interval = options.interval ?? 1;
  const start = new Date(dtstart);
  const byhour = asList(options.byhour ?? []) as number[];
  const byminute = asList(options.byminute ?? []) as number[];
  if (options.freq === Frequency.HOURLY && byhour.length > 0) {
    const step = greatestCommonDivisor(interval, 24);
    const reachable = byhour.some((hour) => (((hour - start.getUTCHours()) % step) + step) % step === 0);
    if (!reachable) return 'no BYHOUR value is reachable from DTSTART with this INTERVAL';
  }
  if (options.freq === Frequency.MINUTELY && (byhour.length > 0 || byminute.length > 0)) {
    if (60 % interval !== 0) return 'with BYHOUR or BYMINUTE, a MINUTELY INTERVAL must divide 60';
    const reachable =
      byminute.length === 0 ||
      byminute.some((minute) => (((minute - start.getUTCMinutes()) % interval) + interval) % interval === 0);
    if (!reachable) return 'no BYMINUTE value is reachable from DTSTART with this INTERVAL';
  }
  return null;
}

/** The length of one step for rules that repeat in fixed floating-time steps, else null. */
function fixedStepMs(rule: FloatingRrule): number | null {
  // COUNT is counted from the real DTSTART, so such rules cannot start later.
  if (rule.options.count !== undefined && rule.options.count !== null) return null;
  const interval = rule.options.interval ?? 1;
  switch (rule.options.freq) {
    case Frequency.MINUTELY:
      return interval * MINUTE_MS;
    case Frequency.HOURLY:
      return interval * HOUR_MS;
    case Frequency.DAILY:
      return interval * DAY_MS;
    case Frequency.WEEKLY:
      return interval * WEEK_MS;
    default:
      return null;
  }
}

function initialWindowMs(rule: FloatingRrule): number {
  const interval = rule.options.interval ?? 1;
  switch (rule.options.freq) {
    case Frequency.MINUTELY:
      return Math.max(interval * 64 * MINUTE_MS, HOUR_MS);
    case Frequency.HOURLY:
      return interval * 48 * HOUR_MS;
    case Frequency.DAILY:
      return interval * 32 * DAY_MS;
    case Frequency.WEEKLY:
      return interval * 16 * WEEK_MS;
    case Frequency.MONTHLY:
      return interval * 12 * 31 * DAY_MS;
    default:
      return interval * 4 * 366 * DAY_MS;
  }
}

/**
 * Floating times of the rule strictly after `afterFloating`, ascending, searched up to
 * {@link RRULE_LOOKAHEAD_MS} ahead.
 *
 * rrule iterates from DTSTART on every query. For rules that advance in fixed steps
 * (MINUTELY…WEEKLY without COUNT) DTSTART is moved forward by whole steps to just before
 * the window: that keeps the phase and every value rrule derives from DTSTART (time of
 * day, weekday), and keeps the cost proportional to the window, not to the rule's age.
 */
export function* floatingOccurrencesAfter(rule: FloatingRrule, afterFloating: number): Generator<number> {
  const step = fixedStepMs(rule);
  const end = afterFloating + RRULE_LOOKAHEAD_MS;
  let low = afterFloating;
  let window = initialWindowMs(rule);
  while (low < end && (rule.until === null || low < rule.until)) {
    const high = Math.min(low + window, end);
    let dtstart = rule.dtstart;
    if (step !== null && low > dtstart) dtstart += Math.floor((low - dtstart) / step) * step;
    const { dates, exhausted } = boundedQuery({ ...rule, dtstart }, (engine) =>
      engine.between(new Date(low), new Date(high), true),
    );
    for (const floating of dates) {
      if (floating > low) yield floating;
    }
    if (exhausted) return;
    low = high;
    window *= 2;
  }
}

/**
 * Runs one rrule query (in floating time) that may walk at most
 * {@link RRULE_MAX_PERIODS_PER_QUERY} periods; `exhausted` tells that it was cut short.
 * 50,000 periods cover 137 years of a DAILY rule, so only rules with no match left are cut.
 *
 * rrule 2.8 checks its end (UNTIL, or the end of a `between` window) only against dates
 * that match, so a rule with no further match walks period by period to the year 9999
 * (minutes for a DAILY rule), and has no option to stop it. Its loop reads
 * `options.interval` once per period and stops when it is 0, so the engine's options
 * get a counting getter that answers 0 once the budget is spent; BYHOUR/BYMINUTE then read
 * as empty so that the final step cannot spin in rrule's inner HOURLY/MINUTELY loop.
 * A test with a never-matching rule guards this against rrule internals changing.
 */
function boundedQuery(
  rule: FloatingRrule,
  query: (engine: InstanceType<typeof RRule>) => Date[],
): { dates: number[]; exhausted: boolean } {
  const engine = new RRule(
    {
      ...rule.options,
      dtstart: new Date(rule.dtstart),
      until: rule.until === null ? null : new Date(rule.until),
    },
    true, // no cache: engines are short-lived
  );
  const parsed = engine.options;
  const { interval, byhour, byminute } = parsed;
  // Each period reads `interval` about twice (the loop's check and the step).
  const budget = 2 * RRULE_MAX_PERIODS_PER_QUERY;
  let reads = 0;
  let exhausted = false;
  Object.defineProperty(parsed, 'interval', {
    configurable: true,
    enumerable: true,
    get: () => {
      reads += 1;
      if (reads > budget) exhausted = true;
      return exhausted ? 0 : interval;
    },
  });
  Object.defineProperty(parsed, 'byhour', {
    configurable: true,
    enumerable: true,
    get: () => (exhausted ? [] : byhour),
  });
  Object.defineProperty(parsed, 'byminute', {
    configurable: true,
    enumerable: true,
    get: () => (exhausted ? [] : byminute),
  });
  const dates = query(engine).map((date) => date.getTime());
  return { dates, exhausted };
}
