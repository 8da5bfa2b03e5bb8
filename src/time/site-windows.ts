import { createRequire } from 'node:module';
import type * as Luxon from 'luxon';

// luxon (time zones, calendar arithmetic) is loaded the first time a site window is read, so an
// agent without policy.siteWindows never carries it; synchronously, as the trust checks are.
let loaded: typeof Luxon | undefined;
const luxon = (): typeof Luxon => (loaded ??= createRequire(import.meta.url)('luxon') as typeof Luxon);

/** ISO weekday names, Monday first (luxon's weekday 1..7). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One recurring window: on these days, from `from` to `to`, local wall time ("HH:MM"). */
export interface SiteWindowRule {
  days: readonly Weekday[];
  from: string;
  /** At or before `from`: the window ends on the next day (e.g. 22:00–02:00). */
  to: string;
}

export interface SiteWindows {
  /** IANA time zone of the site, e.g. Europe/Riga. */
  timeZone: string;
  windows: readonly SiteWindowRule[];
}

/** One concrete occurrence of a window, in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

export function isTimeZone(zone: string): boolean {
  return luxon().IANAZone.isValidZone(zone);
}

function wallTime(day: Luxon.DateTime, hhmm: string, zone: string): Luxon.DateTime {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  // A wall time inside a spring-forward gap does not exist: luxon moves it forward by the gap
  // (02:30 becomes 03:30 when 03:00 follows 01:59); a repeated autumn hour counts at its second occurrence
  // (the later offset, luxon's choice): a window never opens or ends before the clock last shows that time.
  return luxon().DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone });
}

/** The occurrences of every rule that start on the local days around `at` (one day back, eight ahead). */
function occurrences(spec: SiteWindows, at: number): Interval[] {
  const today = luxon().DateTime.fromMillis(at, { zone: spec.timeZone }).startOf('day');
  const found: Interval[] = [];
  for (let offset = -1; offset <= 8; offset++) {
    const day = today.plus({ days: offset });
    for (const rule of spec.windows) {
      if (!rule.days.includes(WEEKDAYS[day.weekday - 1]!)) continue;
      const start = wallTime(day, rule.from, spec.timeZone);
      const endDay = rule.to <= rule.from ? day.plus({ days: 1 }) : day;
      const end = wallTime(endDay, rule.to, spec.timeZone);
      if (end.toMillis() > start.toMillis()) found.push({ start: start.toMillis(), end: end.toMillis() });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The window open at `at` (start ≤ at < end), or undefined. Overlapping windows merge. */
export function windowAt(spec: SiteWindows, at: number): Interval | undefined {
  return merged(spec, at).find((w) => w.start <= at && at < w.end);
}

/** The window open at `at`, or else the next one to open (undefined: no rule names any day). */
export function nextWindow(spec: SiteWindows, at: number): Interval | undefined {
  return merged(spec, at).find((w) => at < w.end);
}

function merged(spec: SiteWindows, at: number): Interval[] {
  const out: Interval[] = [];
  for (const w of occurrences(spec, at)) {
    const last = out[out.length - 1];
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else out.push({ ...w });
  }
  return out;
}

/**
 * The first instant at or after `from` inside a site window, with the end of that window;
 * undefined when the rules open no window within the coming week.
 */
export function firstOpenAtOrAfter(spec: SiteWindows, from: number): Interval | undefined {
  const next = nextWindow(spec, from);
  return next ? { start: Math.max(next.start, from), end: next.end } : undefined;
}

/** "Tue, Thu 02:00–04:00 Europe/Riga; Sat 22:00–02:00 Europe/Riga", for people. */
export function describeSiteWindows(spec: SiteWindows): string {
  return spec.windows.map((w) => `${w.days.map(capitalized).join(', ')} ${w.from}–${w.to} ${spec.timeZone}`).join('; ');
}

function capitalized(day: string): string {
  return day[0]!.toUpperCase() + day.slice(1);
}
