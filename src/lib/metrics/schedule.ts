/**
 * The resident schedule of `metrics push --every`: passes start at `t0 + k × period` (drift-free:
 * a slow pass does not push the next ones later; ticks it overran are skipped, not queued), and an
 * abort signal (SIGTERM) ends the wait at once and stops after the pass under way.
 */

const UNITS_MS: Record<string, number> = {h: 3_600_000, m: 60_000, min: 60_000, ms: 1, s: 1000}

/** `15s`, `500ms`, `1m`, `1m30s`, `2h` → ms; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase()
  if (s === '') return undefined
  let total = 0
  let rest = s
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|min|s|m|h)/.exec(rest)
    if (!m) return undefined
    total += Number(m[1]) * UNITS_MS[m[2]]
    rest = rest.slice(m[0].length)
  }
  return total > 0 ? Math.round(total) : undefined
}

/** The first tick after `now` of the schedule `startedAt + k × periodMs` (k ≥ 1). */
export function nextTick(startedAt: number, periodMs: number, now: number): {at: number; tick: number} {
  const elapsed = Math.max(0, now - startedAt)
  const tick = Math.floor(elapsed / periodMs) + 1
  return {at: startedAt + tick * periodMs, tick}
}

export interface ScheduleHooks {
  now?: () => number
  /** Told when passes overran whole periods (ticks skipped). */
  onSkipped?: (skipped: number) => void
  signal: AbortSignal
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/** Resolve after `ms`, or at once when the signal aborts. */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, {once: true})
  })
}

/** Run `pass` now and then on every tick until the signal aborts. Returns the number of passes run. */
export async function runOnSchedule(periodMs: number, pass: (n: number) => Promise<void>, hooks: ScheduleHooks): Promise<number> {
  const now = hooks.now ?? Date.now
  const sleep = hooks.sleep ?? abortableSleep
  const startedAt = now()
  let lastTick = 0
  let n = 0
  while (!hooks.signal.aborted) {
     
    await pass(n++)
    if (hooks.signal.aborted) break
    const next = nextTick(startedAt, periodMs, now())
    const skipped = next.tick - lastTick - 1
    if (skipped > 0) hooks.onSkipped?.(skipped)
    lastTick = next.tick
     
    await sleep(next.at - now(), hooks.signal)
  }
  return n
}
