/** The calendar periods a budget counts over. */
export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly', 'total'] as const;
export type BudgetPeriod = typeof BUDGET_PERIODS[number];

/** "total" never starts again: its counter ends at the last time a Date can hold. */
export const NEVER_MS = 8_640_000_000_000_000;

export interface PeriodBounds {
  /** Epoch ms the period began (total: 0). */
  readonly startMs: number;
  /** Epoch ms the next period begins: the counter's resetAt. */
  readonly endMs: number;
}

/**
 * Where `nowMs` falls in each period, in a time zone (an IANA name, "UTC" …): days from local midnight, weeks from
 * Monday, months from the 1st. Daylight-saving days are 23 or 25 hours long, as the clock on the wall says. Every
 * replica computes the same bounds, so they count into the same counter.
 */
export function periodBounds(nowMs: number, timeZone: string): Readonly<Record<BudgetPeriod, PeriodBounds>> {
  // Every budgeted request asks; the answer only changes at the day's end (Intl's formatting costs microseconds).
  const cached = lastBounds.get(timeZone);
  if (cached !== undefined && nowMs >= cached.bounds.daily.startMs && nowMs < cached.bounds.daily.endMs) return cached.bounds;
  const bounds = computeBounds(nowMs, timeZone);
  lastBounds.set(timeZone, { bounds });
  return bounds;
}

const lastBounds = new Map<string, { readonly bounds: Readonly<Record<BudgetPeriod, PeriodBounds>> }>();

function computeBounds(nowMs: number, timeZone: string): Readonly<Record<BudgetPeriod, PeriodBounds>> {
  const { year, month, day, weekday } = localDate(nowMs, timeZone);
  const midnight = (y: number, m: number, d: number): number => localMidnight(y, m, d, timeZone);
  const mondayOffset = (weekday + 6) % 7;
  return {
    daily: { startMs: midnight(year, month, day), endMs: midnight(year, month, day + 1) },
    weekly: { startMs: midnight(year, month, day - mondayOffset), endMs: midnight(year, month, day - mondayOffset + 7) },
    monthly: { startMs: midnight(year, month, 1), endMs: midnight(year, month + 1, 1) },
    total: { startMs: 0, endMs: NEVER_MS },
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface LocalTime { readonly year: number; readonly month: number; readonly day: number; readonly hour: number; readonly minute: number; readonly second: number; readonly weekday: number }

function localDate(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour),
    minute: Number(parts.minute), second: Number(parts.second), weekday: WEEKDAYS[parts.weekday ?? 'Mon'] ?? 1,
  };
}

/** How far the zone's wall clock is ahead of UTC at `ms`. */
function offsetMs(ms: number, timeZone: string): number {
  const t = localDate(ms, timeZone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - Math.floor(ms / 1000) * 1000;
}

/** Epoch ms of 00:00 local time on that date (month and day may overflow: Date.UTC normalises them). */
function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // The offset at midnight can differ from the one a few hours away (a DST change that night): ask twice.
  const first = wall - offsetMs(wall, timeZone);
  return wall - offsetMs(first, timeZone);
}
