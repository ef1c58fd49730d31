/**
 * The billing period: a calendar month in UTC, as the original service (original-service.md §1.7):
 * from the 1st of the month (inclusive) to the 1st of the next (exclusive).
 */

export interface BillingPeriod {
  /** The 1st of the next month, `YYYY-MM-DD` (exclusive end; Concertim's `billing_period_end`). */
  end: string
  /** `YYYY-MM`. */
  id: string
  /** The last day of the month, `YYYY-MM-DD`. */
  lastDay: string
  /** The 1st of the month, `YYYY-MM-DD`. */
  start: string
  /** The bounds in ms (UTC), `[startMs, endMs)`. */
  endMs: number
  startMs: number
}

const PERIOD_RE = /^(\d{4})-(\d{2})$/

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function ofMonth(year: number, monthIndex: number): BillingPeriod {
  const startMs = Date.UTC(year, monthIndex, 1)
  const endMs = Date.UTC(year, monthIndex + 1, 1)
  return {end: day(endMs), endMs, id: day(startMs).slice(0, 7), lastDay: day(endMs - 86_400_000), start: day(startMs), startMs}
}

/** The period that holds the instant `ms`. */
export function periodAt(ms: number): BillingPeriod {
  const d = new Date(ms)
  return ofMonth(d.getUTCFullYear(), d.getUTCMonth())
}

/** The period before `p`. */
export function previousPeriod(p: BillingPeriod): BillingPeriod {
  const d = new Date(p.startMs)
  return ofMonth(d.getUTCFullYear(), d.getUTCMonth() - 1)
}

/** `YYYY-MM` → the period, or undefined when the text is not a month. */
export function parsePeriod(text: string): BillingPeriod | undefined {
  const m = PERIOD_RE.exec(text.trim())
  if (!m) return undefined
  const month = Number(m[2])
  if (month < 1 || month > 12) return undefined
  return ofMonth(Number(m[1]), month - 1)
}

/**
 * The date a usage record of period `p` carries when recorded at `now`: today while the period
 * runs, its last day once it is over (a settlement), so that every record falls inside the period.
 */
export function recordDateIn(p: BillingPeriod, now: number): string {
  if (now >= p.endMs) return p.lastDay
  if (now < p.startMs) return p.start
  return day(now)
}
