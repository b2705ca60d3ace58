/**
 * Wall-clock arithmetic in IANA time zones, built on Intl only.
 *
 * A "floating" time is a millisecond count whose UTC fields are the local wall-clock
 * fields (2026-03-08T02:30 local is `Date.UTC(2026, 2, 8, 2, 30)`). Recurrence rules
 * are evaluated in floating time, where every day has 24 hours, and then mapped to
 * real instants with {@link floatingToInstant}, which is where the DST rules live.
 */

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      // h23: some ICU versions print midnight as "24" with hour12: false.
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The time zone's own spelling of `zone` (case-normalised), or null when Intl does not
 * know it. Offset strings such as "+05:30" are refused: Intl accepts them, but they
 * are not IANA zones and carry no DST rules, so a schedule could silently drift.
 */
export function resolveTimeZone(zone: string): string | null {
  if (zone.length === 0 || zone.length > 64 || /^[+-]/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The floating (wall-clock) time at `instant` in `zone`. */
export function instantToFloating(instant: number, zone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wholeSeconds = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  // Intl formats whole seconds; zone offsets are whole seconds, so the milliseconds carry over.
  const millis = ((instant % 1000) + 1000) % 1000;
  return wholeSeconds + millis;
}

function offsetAt(instant: number, zone: string): number {
  return instantToFloating(instant, zone) - instant;
}

/**
 * The first instant at which the clocks in `zone` show `floating` or later.
 *
 * - A wall time that exists once maps to that instant.
 * - A wall time that exists twice (clocks set back) maps to its first occurrence.
 * - A wall time that does not exist (clocks set forward) maps to the transition instant,
 *   i.e. the first valid instant after the gap (02:30 on a spring-forward night in
 *   New York → 03:00 EDT).
 *
 * The mapping never decreases as `floating` grows, so ascending wall times give
 * ascending (possibly equal) instants. Assumes at most one offset change within a day
 * of `floating`, which holds for every zone in the current tz database.
 */
export function floatingToInstant(floating: number, zone: string): number {
  const offsetBefore = offsetAt(floating - DAY_MS, zone);
  const offsetAfter = offsetAt(floating + DAY_MS, zone);
  let best: number | null = null;
  for (const offset of [offsetBefore, offsetAfter]) {
    const candidate = floating - offset;
    if (instantToFloating(candidate, zone) === floating && (best === null || candidate < best)) {
      best = candidate;
    }
  }
  if (best !== null) return best;
  // In a gap: the transition lies in (floating - offsetAfter, floating - offsetBefore].
  // Find the first instant whose wall time has reached `floating`.
  let low = floating - Math.max(offsetBefore, offsetAfter);
  let high = floating - Math.min(offsetBefore, offsetAfter);
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (instantToFloating(middle, zone) >= floating) high = middle;
    else low = middle;
  }
  return high;
}
