import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CatchupCap,
  CatchupPolicy,
  DEFAULT_CATCHUP_CAP,
  deriveScheduleId,
  Schedule,
  ScheduleInput,
  Schedules,
} from '../../../shared/contracts/schedule.js';

// The contracts are used inside request bodies; the paths must name the offending field.
const Body = z.strictObject({ schedules: Schedules });

function issuesOf(schedules: unknown[]): { path: string; message: string }[] {
  const result = Body.safeParse({ schedules });
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

const validCron = { kind: 'cron', cron: '30 2 * * *', timezone: 'Europe/Berlin' };
const validInterval = { kind: 'interval', intervalSeconds: 3600, anchor: '2026-01-01T00:00:00Z' };
const validRrule = {
  kind: 'rrule',
  rrule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
  timezone: 'Europe/Berlin',
};

describe('schedule contracts accept valid schedules', () => {
  it('fills active and derives ids, keeping an explicit id', () => {
    const parsed = Body.parse({ schedules: [validCron, { ...validInterval, id: 'hourly' }, validRrule] });
    expect(parsed.schedules.map((s) => s.active)).toEqual([true, true, true]);
    expect(parsed.schedules[1]?.id).toBe('hourly');
    expect(parsed.schedules[0]?.id).toMatch(/^cron-[0-9a-f]{16}$/);
    expect(parsed.schedules[2]?.id).toMatch(/^rrule-[0-9a-f]{16}$/);
  });

  it('normalises zone spelling, cron whitespace and the anchor, so equal definitions get equal ids', () => {
    const a = Schedules.parse([{ kind: 'cron', cron: ' 30  2 * * * ', timezone: 'europe/berlin' }])[0];
    const b = Schedules.parse([validCron])[0];
    expect(a).toEqual(b);
    expect(a?.timezone).toBe('Europe/Berlin');
    const anchored = Schedules.parse([{ ...validInterval, anchor: '2026-01-01T01:00:00+01:00' }])[0];
    expect(anchored).toEqual(Schedules.parse([validInterval])[0]);
    expect(anchored?.kind === 'interval' && anchored.anchor).toBe('2026-01-01T00:00:00.000Z');
  });

  it('keeps the id when only active changes, and changes it when the definition changes', () => {
    const input = ScheduleInput.parse(validCron);
    if (input.kind !== 'cron') throw new Error('expected a cron schedule');
    expect(deriveScheduleId({ ...input, active: false })).toBe(deriveScheduleId(input));
    expect(deriveScheduleId({ ...input, cron: '31 2 * * *' })).not.toBe(deriveScheduleId(input));
    expect(deriveScheduleId({ ...input, timezone: 'America/New_York' })).not.toBe(deriveScheduleId(input));
  });

  it('accepts an RRULE with a DTSTART in the schedule zone, in UTC, or floating', () => {
    for (const rrule of [
      'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=WEEKLY',
      'DTSTART:20260105T080000Z\nRRULE:FREQ=WEEKLY;COUNT=3',
      'DTSTART:20260105T090000\r\nRRULE:FREQ=WEEKLY;UNTIL=20261231T000000Z',
    ]) {
      expect(issuesOf([{ ...validRrule, rrule }])).toEqual([]);
    }
  });

  it('parses a stored schedule that has an id', () => {
    expect(Schedule.parse({ ...validCron, id: 'nightly', active: false }).active).toBe(false);
  });

  it('has catch-up defaults', () => {
    expect(CatchupPolicy.options).toEqual(['skip', 'latest', 'all']);
    expect(CatchupCap.parse(undefined)).toBe(DEFAULT_CATCHUP_CAP);
    expect(CatchupCap.safeParse(0).success).toBe(false);
    expect(CatchupCap.safeParse(1000).success).toBe(false);
  });
});

describe('schedule contracts reject bad schedules, naming the field', () => {
  it.each([
    {
      name: 'minute out of range',
      schedule: { ...validCron, cron: '61 * * * *' },
      path: 'schedules.0.cron',
      message: /minute/,
    },
    {
      name: 'six fields',
      schedule: { ...validCron, cron: '0 30 2 * * *' },
      path: 'schedules.0.cron',
      message: /5 fields/,
    },
    {
      name: 'a nickname',
      schedule: { ...validCron, cron: '@daily' },
      path: 'schedules.0.cron',
      message: /5 fields/,
    },
    {
      name: 'garbage cron',
      schedule: { ...validCron, cron: 'every day' },
      path: 'schedules.0.cron',
      message: /5 fields/,
    },
    {
      name: 'bad weekday',
      schedule: { ...validCron, cron: '0 9 * * XYZ' },
      path: 'schedules.0.cron',
      message: /invalid cron/,
    },
    {
      name: 'unknown zone',
      schedule: { ...validCron, timezone: 'Mars/Olympus' },
      path: 'schedules.0.timezone',
      message: /unknown IANA time zone/,
    },
    {
      name: 'offset as zone',
      schedule: { ...validCron, timezone: '+05:30' },
      path: 'schedules.0.timezone',
      message: /unknown IANA time zone/,
    },
    {
      name: 'interval zone',
      schedule: { ...validInterval, timezone: 'Nowhere' },
      path: 'schedules.0.timezone',
      message: /unknown IANA/,
    },
    {
      name: 'unknown field',
      schedule: { ...validCron, startAt: 'now' },
      path: 'schedules.0',
      message: /startAt/,
    },
    {
      name: 'unknown kind',
      schedule: { ...validCron, kind: 'calendar' },
      path: 'schedules.0.kind',
      message: /./,
    },
    {
      name: 'interval under 60 s',
      schedule: { ...validInterval, intervalSeconds: 59 },
      path: 'schedules.0.intervalSeconds',
      message: /60/,
    },
    {
      name: 'interval over 31 days',
      schedule: { ...validInterval, intervalSeconds: 31 * 86_400 + 1 },
      path: 'schedules.0.intervalSeconds',
      message: /2678400/,
    },
    {
      name: 'fractional interval',
      schedule: { ...validInterval, intervalSeconds: 90.5 },
      path: 'schedules.0.intervalSeconds',
      message: /int/,
    },
    {
      name: 'anchor without offset',
      schedule: { ...validInterval, anchor: '2026-01-01T00:00:00' },
      path: 'schedules.0.anchor',
      message: /UTC offset/,
    },
    {
      name: 'anchor not a date',
      schedule: { ...validInterval, anchor: 'tomorrow' },
      path: 'schedules.0.anchor',
      message: /ISO 8601/,
    },
    {
      name: 'id not a slug',
      schedule: { ...validCron, id: 'Nightly Run' },
      path: 'schedules.0.id',
      message: /slug/,
    },
    {
      name: 'unknown FREQ',
      schedule: { ...validRrule, rrule: 'FREQ=SOMETIMES' },
      path: 'schedules.0.rrule',
      message: /FREQ must be/,
    },
    {
      name: 'missing FREQ',
      schedule: { ...validRrule, rrule: 'RRULE:BYDAY=MO' },
      path: 'schedules.0.rrule',
      message: /FREQ must be/,
    },
    {
      name: 'SECONDLY',
      schedule: { ...validRrule, rrule: 'FREQ=SECONDLY' },
      path: 'schedules.0.rrule',
      message: /SECONDLY/,
    },
    {
      name: 'bad BYDAY',
      schedule: { ...validRrule, rrule: 'FREQ=WEEKLY;BYDAY=XX' },
      path: 'schedules.0.rrule',
      message: /BYDAY/,
    },
    {
      name: 'BYHOUR out of range',
      schedule: { ...validRrule, rrule: 'FREQ=DAILY;BYHOUR=24' },
      path: 'schedules.0.rrule',
      message: /BYHOUR/,
    },
    {
      name: 'BYSETPOS zero',
      schedule: { ...validRrule, rrule: 'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0' },
      path: 'schedules.0.rrule',
      message: /BYSETPOS/,
    },
    {
      name: 'INTERVAL zero',
      schedule: { ...validRrule, rrule: 'FREQ=DAILY;INTERVAL=0' },
      path: 'schedules.0.rrule',
      message: /INTERVAL/,
    },
    {
      name: 'unknown RRULE part',
      schedule: { ...validRrule, rrule: 'FREQ=DAILY;FOO=1' },
      path: 'schedules.0.rrule',
      message: /FOO/,
    },
    {
      name: 'EXDATE',
      schedule: { ...validRrule, rrule: 'EXDATE:20260101T000000Z\nRRULE:FREQ=DAILY' },
      path: 'schedules.0.rrule',
      message: /EXDATE/,
    },
    {
      name: 'two RRULEs',
      schedule: { ...validRrule, rrule: 'RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY' },
      path: 'schedules.0.rrule',
      message: /one RRULE/,
    },
    {
      name: 'DTSTART in another zone',
      schedule: { ...validRrule, rrule: 'DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=DAILY' },
      path: 'schedules.0.rrule',
      message: /differs/,
    },
    {
      name: 'date-only DTSTART',
      schedule: { ...validRrule, rrule: 'DTSTART:20260105\nRRULE:FREQ=DAILY' },
      path: 'schedules.0.rrule',
      message: /DTSTART must be/,
    },
    {
      name: 'COUNT without DTSTART',
      schedule: { ...validRrule, rrule: 'FREQ=DAILY;COUNT=3' },
      path: 'schedules.0.rrule',
      message: /COUNT/,
    },
    {
      name: 'filters that never meet',
      schedule: { ...validRrule, rrule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30' },
      path: 'schedules.0.rrule',
      message: /no occurrence within 50000 days/,
    },
    {
      name: 'a yearly rule that never occurs',
      schedule: { ...validRrule, rrule: 'FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31' },
      path: 'schedules.0.rrule',
      message: /never occurs/,
    },
    {
      name: 'UNTIL before DTSTART',
      schedule: { ...validRrule, rrule: 'DTSTART:20260105T080000Z\nRRULE:FREQ=DAILY;UNTIL=20250101T000000Z' },
      path: 'schedules.0.rrule',
      message: /never occurs/,
    },
    {
      name: 'unreachable BYHOUR (would loop forever in rrule)',
      schedule: { ...validRrule, rrule: 'FREQ=HOURLY;INTERVAL=2;BYHOUR=1' },
      path: 'schedules.0.rrule',
      message: /BYHOUR value is reachable/,
    },
    {
      name: 'unreachable BYMINUTE',
      schedule: { ...validRrule, rrule: 'FREQ=MINUTELY;INTERVAL=15;BYMINUTE=7' },
      path: 'schedules.0.rrule',
      message: /BYMINUTE value is reachable/,
    },
    {
      name: 'MINUTELY step not dividing an hour with BYHOUR',
      schedule: { ...validRrule, rrule: 'FREQ=MINUTELY;INTERVAL=7;BYHOUR=1' },
      path: 'schedules.0.rrule',
      message: /must divide 60/,
    },
    { name: 'empty RRULE', schedule: { ...validRrule, rrule: '' }, path: 'schedules.0.rrule', message: /./ },
  ])('$name', ({ schedule, path, message }) => {
    const issues = issuesOf([schedule]);
    expect(issues.map((issue) => issue.path)).toContain(path);
    expect(issues.find((issue) => issue.path === path)?.message).toMatch(message);
  });

  it('rejects two schedules with the same definition, pointing at the second', () => {
    expect(issuesOf([validCron, { ...validCron, active: false }])).toEqual([
      { path: 'schedules.1.id', message: expect.stringMatching(/already used by schedule 0/) },
    ]);
  });

  it('rejects two schedules with the same explicit id', () => {
    expect(
      issuesOf([
        { ...validCron, id: 'a' },
        { ...validInterval, id: 'a' },
      ]).map((i) => i.path),
    ).toEqual(['schedules.1.id']);
  });

  it('lists every bad field of every schedule', () => {
    const paths = issuesOf([
      { ...validCron, cron: 'nope', timezone: 'Nope/Nope' },
      { ...validInterval, intervalSeconds: 10 },
    ]).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['schedules.0.cron', 'schedules.0.timezone', 'schedules.1.intervalSeconds']),
    );
  });

  it('rejects more than 20 schedules', () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ ...validInterval, id: `s${i}` }));
    expect(issuesOf(many).map((issue) => issue.path)).toEqual(['schedules']);
  });
});
