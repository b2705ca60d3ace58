import rrulePackage from 'rrule';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Schedule, type ScheduleInput } from '../../../shared/contracts/schedule.js';
import { type FloatingRrule, floatingOccurrencesAfter } from '../../../shared/domain/scheduleRrule.js';
import {
  deterministicRunId,
  dueTimes,
  hasWildcardHours,
  nextDueAfter,
  nextOccurrences,
} from '../../../shared/domain/schedules.js';

const { Frequency } = rrulePackage;

// DST in 2026 (the dates every table below crosses):
//   America/New_York  spring forward 03-08 02:00 EST → 03:00 EDT (07:00Z); fall back 11-01 02:00 EDT → 01:00 EST (06:00Z)
//   Europe/Berlin     spring forward 03-29 02:00 CET → 03:00 CEST (01:00Z); fall back 10-25 03:00 CEST → 02:00 CET (01:00Z)

// What a test writes: a schedule as the API accepts it, without the id (Omit per kind).
type Definition =
  z.input<typeof ScheduleInput> extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;

function schedule(definition: Definition, id = 'sched'): Schedule {
  return Schedule.parse({ ...definition, id });
}

const cron = (expression: string, timezone: string): Schedule =>
  schedule({ kind: 'cron', cron: expression, timezone });
const rrule = (text: string, timezone: string): Schedule =>
  schedule({ kind: 'rrule', rrule: text, timezone });
const interval = (intervalSeconds: number, anchor: string, timezone?: string): Schedule =>
  schedule(
    timezone === undefined
      ? { kind: 'interval', intervalSeconds, anchor }
      : { kind: 'interval', intervalSeconds, anchor, timezone },
  );

const iso = (dates: readonly Date[]): string[] => dates.map((date) => date.toISOString());
const at = (value: string): Date => new Date(value);

interface OccurrenceCase {
  name: string;
  schedule: Schedule;
  after: string;
  limit: number;
  until?: string;
  expected: string[];
}

function runCases(cases: OccurrenceCase[]): void {
  it.each(cases)('$name', ({ schedule: subject, after, limit, until, expected }) => {
    const options = until === undefined ? { limit } : { limit, until: at(until) };
    expect(iso(nextOccurrences(subject, at(after), options))).toEqual(expected);
  });
}

describe('cron with fixed hours follows the wall clock: a missing time runs once after the gap, a repeated time once', () => {
  runCases([
    {
      name: 'New York 02:30 does not exist on 2026-03-08 and runs once at 03:00 EDT',
      schedule: cron('30 2 * * *', 'America/New_York'),
      after: '2026-03-07T12:00:00Z',
      limit: 2,
      expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      name: 'New York 01:30 exists twice on 2026-11-01 and runs once, at the EDT occurrence',
      schedule: cron('30 1 * * *', 'America/New_York'),
      after: '2026-10-31T12:00:00Z',
      limit: 2,
      expected: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    },
    {
      name: 'asking from inside the second pass of the repeated hour does not return its second 01:30',
      schedule: cron('30 1 * * *', 'America/New_York'),
      after: '2026-11-01T06:10:00Z', // 01:10 EST, the second 01:10 of the night
      limit: 1,
      expected: ['2026-11-02T06:30:00.000Z'],
    },
    {
      name: 'Berlin 02:30 does not exist on 2026-03-29 and runs once at 03:00 CEST',
      schedule: cron('30 2 * * *', 'Europe/Berlin'),
      after: '2026-03-28T12:00:00Z',
      limit: 2,
      expected: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    },
    {
      name: 'Berlin 02:30 exists twice on 2026-10-25 and runs once, at the CEST occurrence',
      schedule: cron('30 2 * * *', 'Europe/Berlin'),
      after: '2026-10-24T12:00:00Z',
      limit: 2,
      expected: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
    {
      name: 'every 15 minutes of the 1 a.m. hour runs only the first pass of the repeated hour',
      schedule: cron('*/15 1 * * *', 'America/New_York'),
      after: '2026-11-01T04:00:00Z',
      limit: 6,
      expected: [
        '2026-11-01T05:00:00.000Z',
        '2026-11-01T05:15:00.000Z',
        '2026-11-01T05:30:00.000Z',
        '2026-11-01T05:45:00.000Z',
        '2026-11-02T06:00:00.000Z',
        '2026-11-02T06:15:00.000Z',
      ],
    },
    {
      name: 'every 15 minutes of the missing 2 a.m. hour collapses into one run at 03:00',
      schedule: cron('*/15 2 * * *', 'America/New_York'),
      after: '2026-03-08T05:00:00Z',
      limit: 3,
      expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-09T06:15:00.000Z'],
    },
    {
      name: 'a missing time and 03:00 itself run once at 03:00, then 03:30 as usual',
      schedule: cron('0,30 2,3 * * *', 'America/New_York'),
      after: '2026-03-08T05:00:00Z',
      limit: 3,
      expected: ['2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:00:00.000Z'],
    },
    {
      name: 'a list of hours is fixed too: 2,14 runs at 03:00 on the spring-forward day',
      schedule: cron('0 2,14 * * *', 'Europe/Berlin'),
      after: '2026-03-28T14:00:00Z',
      limit: 3,
      expected: ['2026-03-29T01:00:00.000Z', '2026-03-29T12:00:00.000Z', '2026-03-30T00:00:00.000Z'],
    },
    {
      name: 'a daily 09:00 job keeps 09:00 local across both New York transitions',
      schedule: cron('0 9 * * *', 'America/New_York'),
      after: '2026-03-07T00:00:00Z',
      limit: 3,
      expected: ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z'],
    },
  ]);
});

describe('cron with wildcard hours runs at every real instant whose wall time matches', () => {
  runCases([
    {
      name: 'hourly in New York runs 01:00 EDT and 01:00 EST on the fall-back night',
      schedule: cron('0 * * * *', 'America/New_York'),
      after: '2026-11-01T04:30:00Z',
      limit: 3,
      expected: ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    },
    {
      name: 'hourly in New York goes from 01:00 EST to 03:00 EDT, one real hour, on the spring-forward night',
      schedule: cron('0 * * * *', 'America/New_York'),
      after: '2026-03-08T05:30:00Z',
      limit: 3,
      expected: ['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    },
    {
      name: 'hourly in Berlin runs 02:00 CEST and 02:00 CET on the fall-back night',
      schedule: cron('0 * * * *', 'Europe/Berlin'),
      after: '2026-10-24T23:30:00Z',
      limit: 3,
      expected: ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z'],
    },
    {
      name: 'hourly in Berlin skips the missing 02:00 on the spring-forward night',
      schedule: cron('0 * * * *', 'Europe/Berlin'),
      after: '2026-03-28T23:30:00Z',
      limit: 3,
      expected: ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    },
    {
      name: 'every 15 minutes stays 15 real minutes apart through the New York spring-forward gap',
      schedule: cron('*/15 * * * *', 'America/New_York'),
      after: '2026-03-08T06:40:00Z',
      limit: 3,
      expected: ['2026-03-08T06:45:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:15:00.000Z'],
    },
    {
      name: 'every 15 minutes keeps running through the repeated New York hour',
      schedule: cron('*/15 * * * *', 'America/New_York'),
      after: '2026-11-01T05:40:00Z',
      limit: 4,
      expected: [
        '2026-11-01T05:45:00.000Z',
        '2026-11-01T06:00:00.000Z',
        '2026-11-01T06:15:00.000Z',
        '2026-11-01T06:30:00.000Z',
      ],
    },
  ]);
});

describe('cron in a zone without DST', () => {
  runCases([
    {
      name: 'Tokyo 09:00 is 00:00Z every day, including the days other zones change',
      schedule: cron('0 9 * * *', 'Asia/Tokyo'),
      after: '2026-03-07T12:00:00Z',
      limit: 3,
      expected: ['2026-03-08T00:00:00.000Z', '2026-03-09T00:00:00.000Z', '2026-03-10T00:00:00.000Z'],
    },
    {
      name: 'Tokyo hourly is plain hours',
      schedule: cron('0 * * * *', 'Asia/Tokyo'),
      after: '2026-11-01T04:30:00Z',
      limit: 2,
      expected: ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
    },
    {
      name: 'last Friday of the month (croner L syntax) at 18:00',
      schedule: cron('0 18 * * FRI#L', 'Asia/Tokyo'),
      after: '2026-01-01T00:00:00Z',
      limit: 2,
      expected: ['2026-01-30T09:00:00.000Z', '2026-02-27T09:00:00.000Z'],
    },
  ]);
});

describe('interval schedules', () => {
  runCases([
    {
      name: 'a 24 h interval without a timezone keeps the same UTC instant across DST',
      schedule: interval(86_400, '2026-03-07T14:00:00Z'),
      after: '2026-03-07T00:00:00Z',
      limit: 3,
      expected: ['2026-03-07T14:00:00.000Z', '2026-03-08T14:00:00.000Z', '2026-03-09T14:00:00.000Z'],
    },
    {
      name: 'a 1-day interval with a timezone keeps 09:00 local across the New York spring-forward',
      schedule: interval(86_400, '2026-03-07T09:00:00-05:00', 'America/New_York'),
      after: '2026-03-07T00:00:00Z',
      limit: 3,
      expected: ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z'],
    },
    {
      name: 'a 2-day interval with a timezone keeps 09:00 local across the Berlin spring-forward',
      schedule: interval(2 * 86_400, '2026-03-27T09:00:00+01:00', 'Europe/Berlin'),
      after: '2026-03-27T08:00:00Z',
      limit: 2,
      expected: ['2026-03-29T07:00:00.000Z', '2026-03-31T07:00:00.000Z'],
    },
    {
      name: 'a daily wall-clock interval at 02:30 runs at 03:00 on the New York spring-forward day',
      schedule: interval(86_400, '2026-03-07T02:30:00-05:00', 'America/New_York'),
      after: '2026-03-07T12:00:00Z',
      limit: 2,
      expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      name: 'a daily wall-clock interval at 01:30 runs once on the New York fall-back day',
      schedule: interval(86_400, '2026-10-31T01:30:00-04:00', 'America/New_York'),
      after: '2026-10-31T12:00:00Z',
      limit: 2,
      expected: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    },
    {
      name: 'an hourly interval with a timezone is elapsed time: it runs both repeated hours',
      schedule: interval(3600, '2026-11-01T04:00:00Z', 'America/New_York'),
      after: '2026-11-01T00:00:00Z',
      limit: 4,
      expected: [
        '2026-11-01T04:00:00.000Z',
        '2026-11-01T05:00:00.000Z',
        '2026-11-01T06:00:00.000Z',
        '2026-11-01T07:00:00.000Z',
      ],
    },
    {
      name: 'an anchor in the future is the first run; nothing runs before it',
      schedule: interval(3600, '2026-06-01T00:00:00Z'),
      after: '2026-01-01T00:00:00Z',
      limit: 2,
      expected: ['2026-06-01T00:00:00.000Z', '2026-06-01T01:00:00.000Z'],
    },
    {
      name: 'a time exactly at the anchor is not after it',
      schedule: interval(3600, '2026-06-01T00:00:00Z'),
      after: '2026-06-01T00:00:00Z',
      limit: 1,
      expected: ['2026-06-01T01:00:00.000Z'],
    },
    {
      name: 'steps count from the anchor, not from the query',
      schedule: interval(5400, '2026-01-01T00:00:00Z'),
      after: '2026-01-01T02:00:00Z',
      limit: 2,
      expected: ['2026-01-01T03:00:00.000Z', '2026-01-01T04:30:00.000Z'],
    },
    {
      name: 'a day-multiple wall-clock interval found from far after the anchor',
      schedule: interval(7 * 86_400, '2025-01-06T09:00:00+01:00', 'Europe/Berlin'),
      after: '2026-03-25T00:00:00Z',
      limit: 2,
      expected: ['2026-03-30T07:00:00.000Z', '2026-04-06T07:00:00.000Z'],
    },
  ]);
});

describe('RRULE schedules expand in local time', () => {
  runCases([
    {
      name: 'last weekday of the month at 09:00 Berlin, across the spring-forward',
      schedule: rrule(
        'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
        'Europe/Berlin',
      ),
      after: '2026-01-01T00:00:00Z',
      limit: 4,
      expected: [
        '2026-01-30T08:00:00.000Z',
        '2026-02-27T08:00:00.000Z',
        '2026-03-31T07:00:00.000Z',
        '2026-04-30T07:00:00.000Z',
      ],
    },
    {
      name: 'second Tuesday of the month at 10:00 New York, across the spring-forward',
      schedule: rrule('FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2;BYHOUR=10;BYMINUTE=0', 'America/New_York'),
      after: '2026-02-01T00:00:00Z',
      limit: 3,
      expected: ['2026-02-10T15:00:00.000Z', '2026-03-10T14:00:00.000Z', '2026-04-14T14:00:00.000Z'],
    },
    {
      name: 'BYDAY=2TU is the same second Tuesday',
      schedule: rrule('RRULE:FREQ=MONTHLY;BYDAY=2TU;BYHOUR=10', 'America/New_York'),
      after: '2026-02-01T00:00:00Z',
      limit: 2,
      expected: ['2026-02-10T15:00:00.000Z', '2026-03-10T14:00:00.000Z'],
    },
    {
      name: 'daily at 02:30 New York runs once at 03:00 on the spring-forward day',
      schedule: rrule('DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY', 'America/New_York'),
      after: '2026-03-07T12:00:00Z',
      limit: 2,
      expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      name: 'daily at 02:30 Berlin runs once, at the CEST occurrence, on the fall-back day',
      schedule: rrule('FREQ=DAILY;BYHOUR=2;BYMINUTE=30', 'Europe/Berlin'),
      after: '2026-10-24T12:00:00Z',
      limit: 2,
      expected: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
    {
      name: 'FREQ=HOURLY lists local times, so the repeated New York hour runs once',
      schedule: rrule('FREQ=HOURLY', 'America/New_York'),
      after: '2026-11-01T04:30:00Z',
      limit: 3,
      expected: ['2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z', '2026-11-01T08:00:00.000Z'],
    },
    {
      name: 'a UTC DTSTART names the first instant; the rule recurs at that wall time in the zone',
      schedule: rrule('DTSTART:20260105T080000Z\nRRULE:FREQ=WEEKLY;COUNT=3', 'Europe/Berlin'),
      after: '2026-01-01T00:00:00Z',
      limit: 10,
      expected: ['2026-01-05T08:00:00.000Z', '2026-01-12T08:00:00.000Z', '2026-01-19T08:00:00.000Z'],
    },
    {
      name: 'a UTC UNTIL is an instant and ends the rule inclusively',
      schedule: rrule(
        'DTSTART;TZID=Europe/Berlin:20260320T090000\nRRULE:FREQ=WEEKLY;UNTIL=20260403T070000Z',
        'Europe/Berlin',
      ),
      after: '2026-03-01T00:00:00Z',
      limit: 10,
      expected: ['2026-03-20T08:00:00.000Z', '2026-03-27T08:00:00.000Z', '2026-04-03T07:00:00.000Z'],
    },
    {
      name: 'every other day keeps its phase from DTSTART years later',
      schedule: rrule('DTSTART;TZID=Asia/Tokyo:20200101T120000\nRRULE:FREQ=DAILY;INTERVAL=2', 'Asia/Tokyo'),
      // 2020-01-01 + 2282 days (even) = 2026-04-01, so 04-01 and 04-03 run, 04-02 does not.
      after: '2026-03-31T12:00:00Z',
      limit: 2,
      expected: ['2026-04-01T03:00:00.000Z', '2026-04-03T03:00:00.000Z'],
    },
    {
      name: 'every 90 minutes keeps its phase from DTSTART',
      schedule: rrule('DTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY;INTERVAL=90', 'Etc/UTC'),
      after: '2026-03-01T01:00:00Z',
      limit: 2,
      expected: ['2026-03-01T01:30:00.000Z', '2026-03-01T03:00:00.000Z'],
    },
  ]);
});

describe('limit and until bound the result', () => {
  const hourly = cron('0 * * * *', 'Etc/UTC');
  runCases([
    {
      name: 'limit 0 returns nothing',
      schedule: hourly,
      after: '2026-01-01T00:00:00Z',
      limit: 0,
      expected: [],
    },
    {
      name: 'until is inclusive',
      schedule: hourly,
      after: '2026-01-01T00:00:00Z',
      until: '2026-01-01T03:00:00Z',
      limit: 10,
      expected: ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z'],
    },
    {
      name: 'until before the first time returns nothing',
      schedule: hourly,
      after: '2026-01-01T00:00:00Z',
      until: '2026-01-01T00:59:59.999Z',
      limit: 10,
      expected: [],
    },
    {
      name: 'limit stops before until',
      schedule: hourly,
      after: '2026-01-01T00:00:00Z',
      until: '2026-01-02T00:00:00Z',
      limit: 2,
      expected: ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z'],
    },
    {
      name: 'results are strictly after a non-round `after`',
      schedule: hourly,
      after: '2026-01-01T00:59:59.999Z',
      limit: 1,
      expected: ['2026-01-01T01:00:00.000Z'],
    },
    {
      name: 'a finished RRULE has no more times',
      schedule: rrule('DTSTART:20250105T080000Z\nRRULE:FREQ=WEEKLY;COUNT=3', 'Europe/Berlin'),
      after: '2026-01-01T00:00:00Z',
      limit: 10,
      expected: [],
    },
  ]);

  it('rejects a negative or fractional limit', () => {
    expect(() => nextOccurrences(hourly, at('2026-01-01T00:00:00Z'), { limit: -1 })).toThrow(RangeError);
    expect(() => nextOccurrences(hourly, at('2026-01-01T00:00:00Z'), { limit: 1.5 })).toThrow(RangeError);
  });

  it('rejects an invalid date', () => {
    expect(() => nextOccurrences(hourly, new Date(Number.NaN), { limit: 1 })).toThrow(RangeError);
  });

  it('times are ascending and unique over a year of a mixed-rule cron in a DST zone', () => {
    const times = nextOccurrences(cron('*/20 0-3 * * *', 'America/New_York'), at('2026-01-01T00:00:00Z'), {
      limit: 5000,
      until: at('2027-01-01T00:00:00Z'),
    }).map((date) => date.getTime());
    for (let i = 1; i < times.length; i += 1) expect(times[i]).toBeGreaterThan(times[i - 1] ?? 0);
    // 12 wall times a day for 365 days, minus the 3 of 02:00-02:40 folded into one run at
    // 03:00 on 03-08 (which 03:00 itself also names), the 01:00-01:40 second pass being skipped.
    expect(times.length).toBe(365 * 12 - 3);
  });
});

describe('dueTimes applies the catch-up policy to missed times and bounds the upcoming ones', () => {
  const hourly = cron('0 * * * *', 'Etc/UTC');
  const window = {
    from: at('2026-01-01T00:00:00Z'),
    now: at('2026-01-01T10:30:00Z'),
    horizonEnd: at('2026-01-01T13:00:00Z'),
    cap: 3,
    limit: 10,
  };
  const upcoming = ['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z', '2026-01-01T13:00:00.000Z'];

  it.each([
    { catchup: 'skip' as const, missed: [] },
    { catchup: 'latest' as const, missed: ['2026-01-01T10:00:00.000Z'] },
    {
      catchup: 'all' as const,
      missed: ['2026-01-01T08:00:00.000Z', '2026-01-01T09:00:00.000Z', '2026-01-01T10:00:00.000Z'],
    },
  ])('catch-up $catchup keeps $missed.length missed times, the most recent ones', ({ catchup, missed }) => {
    const due = dueTimes(hourly, { ...window, catchup });
    expect(iso(due.missed)).toEqual(missed);
    expect(iso(due.upcoming)).toEqual(upcoming);
  });

  it('catch-up all with a cap above the missed count returns every missed time, oldest first', () => {
    const due = dueTimes(hourly, { ...window, catchup: 'all', cap: 100 });
    expect(due.missed).toHaveLength(10);
    expect(due.missed[0]?.toISOString()).toBe('2026-01-01T01:00:00.000Z');
  });

  it('from is exclusive and a time exactly at now is upcoming, not missed', () => {
    const due = dueTimes(hourly, {
      ...window,
      from: at('2026-01-01T10:00:00Z'),
      now: at('2026-01-01T11:00:00Z'),
      catchup: 'all',
    });
    expect(iso(due.missed)).toEqual([]);
    expect(iso(due.upcoming)).toEqual(upcoming);
  });

  it('upcoming stops at the limit', () => {
    expect(iso(dueTimes(hourly, { ...window, catchup: 'skip', limit: 1 }).upcoming)).toEqual([upcoming[0]]);
  });

  it('a from in the future holds back upcoming times until then', () => {
    const due = dueTimes(hourly, { ...window, from: at('2026-01-01T12:00:00Z'), catchup: 'all' });
    expect(iso(due.missed)).toEqual([]);
    expect(iso(due.upcoming)).toEqual(['2026-01-01T13:00:00.000Z']);
  });

  it('an inactive schedule has nothing due', () => {
    const paused = schedule({ kind: 'cron', cron: '0 * * * *', timezone: 'Etc/UTC', active: false });
    expect(dueTimes(paused, { ...window, catchup: 'all' })).toEqual({ missed: [], upcoming: [] });
  });

  it('a minutely schedule paused for a year catches up only the last `cap` minutes, quickly', () => {
    const due = dueTimes(cron('* * * * *', 'Europe/Berlin'), {
      from: at('2025-01-01T00:00:00Z'),
      now: at('2026-01-01T00:00:30Z'),
      horizonEnd: at('2026-01-01T00:02:00Z'),
      catchup: 'all',
      cap: 100,
      limit: 10,
    });
    expect(due.missed).toHaveLength(100);
    expect(due.missed.at(-1)?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(due.missed[0]?.toISOString()).toBe('2025-12-31T22:21:00.000Z');
    expect(iso(due.upcoming)).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    // Walking the 525,600 missed minutes one by one would blow the test's timeout;
    // the figures above prove the look-back found the right window.
  });

  it('catch-up latest after a long pause of a monthly RRULE finds the last one', () => {
    const due = dueTimes(rrule('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=9', 'Europe/Berlin'), {
      from: at('2025-01-01T00:00:00Z'),
      now: at('2026-03-15T00:00:00Z'),
      horizonEnd: at('2026-04-30T00:00:00Z'),
      catchup: 'latest',
      cap: 10,
      limit: 10,
    });
    expect(iso(due.missed)).toEqual(['2026-02-27T08:00:00.000Z']);
    expect(iso(due.upcoming)).toEqual(['2026-03-31T07:00:00.000Z']);
  });

  it('catch-up all over a DST night counts both repeated hours of an hourly cron', () => {
    const due = dueTimes(cron('0 * * * *', 'America/New_York'), {
      from: at('2026-11-01T04:30:00Z'),
      now: at('2026-11-01T07:30:00Z'),
      horizonEnd: at('2026-11-01T07:30:00Z'),
      catchup: 'all',
      cap: 10,
      limit: 10,
    });
    expect(iso(due.missed)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
    expect(due.upcoming).toEqual([]);
  });
});

describe('nextDueAfter', () => {
  const daily = schedule({ kind: 'cron', cron: '0 9 * * *', timezone: 'Europe/Berlin' }, 'daily');
  const everyTwoHours = schedule(
    { kind: 'interval', intervalSeconds: 7200, anchor: '2026-01-01T00:00:00Z' },
    'two-hours',
  );
  const monthly = schedule(
    { kind: 'rrule', rrule: 'FREQ=MONTHLY;BYMONTHDAY=1', timezone: 'Etc/UTC' },
    'monthly',
  );
  const pausedMinutely = schedule(
    { kind: 'cron', cron: '* * * * *', timezone: 'Etc/UTC', active: false },
    'paused-minutely',
  );
  const finished = schedule(
    { kind: 'rrule', rrule: 'DTSTART:20250105T080000Z\nRRULE:FREQ=WEEKLY;COUNT=3', timezone: 'Etc/UTC' },
    'finished',
  );

  it.each([
    { name: 'no schedules', schedules: [], after: '2026-05-01T10:30:00Z', expected: null },
    {
      name: 'only inactive schedules',
      schedules: [pausedMinutely],
      after: '2026-05-01T10:30:00Z',
      expected: null,
    },
    { name: 'only finished rules', schedules: [finished], after: '2026-05-01T10:30:00Z', expected: null },
    {
      name: 'the earliest active one wins; the paused minutely cron is ignored',
      schedules: [daily, monthly, everyTwoHours, pausedMinutely, finished],
      after: '2026-05-01T10:30:00Z',
      expected: '2026-05-01T12:00:00.000Z',
    },
    {
      name: 'a monthly rule can be the earliest',
      schedules: [daily, monthly],
      after: '2026-04-30T23:30:00Z',
      expected: '2026-05-01T00:00:00.000Z',
    },
    {
      name: 'a daily cron in Berlin can be the earliest',
      schedules: [daily, monthly],
      after: '2026-05-01T00:00:00Z',
      expected: '2026-05-01T07:00:00.000Z',
    },
  ])('$name', ({ schedules, after, expected }) => {
    expect(nextDueAfter(schedules, at(after))?.toISOString() ?? null).toBe(expected);
  });
});

describe('deterministicRunId', () => {
  const time = at('2026-03-08T07:00:00Z');

  it('is stable for the same inputs, including across Date objects and releases', () => {
    const id = deterministicRunId('dep-1', 'nightly', time);
    expect(deterministicRunId('dep-1', 'nightly', new Date(time.getTime()))).toBe(id);
    // Pinned: changing the derivation would re-create every already materialised run.
    expect(id).toBe(deterministicRunId('dep-1', 'nightly', at('2026-03-08T03:00:00-04:00')));
    expect(id).toBe('s-yyp5win5ezafrgjdrs5ds75qzx');
  });

  it('is a Firestore- and Cloud Tasks-safe id of fixed length', () => {
    expect(deterministicRunId('dep-1', 'nightly', time)).toMatch(/^s-[a-z2-7]{26}$/);
  });

  it('differs when any part differs, and parts cannot be shifted into each other', () => {
    const ids = new Set([
      deterministicRunId('dep-1', 'nightly', time),
      deterministicRunId('dep-2', 'nightly', time),
      deterministicRunId('dep-1', 'hourly', time),
      deterministicRunId('dep-1', 'nightly', new Date(time.getTime() + 1)),
      deterministicRunId('a-b', 'c', time),
      deterministicRunId('a', 'b-c', time),
    ]);
    expect(ids.size).toBe(6);
  });

  it('gives a different id to each of 2,000 hourly times', () => {
    const times = nextOccurrences(cron('0 * * * *', 'Etc/UTC'), at('2026-01-01T00:00:00Z'), { limit: 2000 });
    expect(new Set(times.map((t) => deterministicRunId('dep-1', 'hourly', t))).size).toBe(2000);
  });
});

describe('hasWildcardHours decides between elapsed and wall-clock DST semantics', () => {
  it.each([
    ['0 * * * *', true],
    ['*/15 * * * *', true],
    ['0 */2 * * *', true],
    ['30 2 * * *', false],
    ['*/15 1 * * *', false],
    ['0 9-17 * * 1-5', false],
    ['0 0-23/2 * * *', false],
  ])('%s → %s', (expression, expected) => {
    expect(hasWildcardHours(expression)).toBe(expected);
  });
});

describe('RRULEs that never match cannot stall the scheduler', () => {
  it('a never-matching rule that bypassed validation ends its search within the budget', () => {
    const rule: FloatingRrule = {
      options: { freq: Frequency.DAILY, bymonth: [2], bymonthday: [30] },
      dtstart: Date.UTC(2024, 0, 1),
      until: null,
    };
    // Without the budget rrule walks every day to the year 9999 in each window (minutes),
    // which the test's timeout turns into a failure.
    expect([...floatingOccurrencesAfter(rule, Date.UTC(2026, 0, 1))]).toEqual([]);
  });
});
