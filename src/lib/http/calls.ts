/**
 * Call accounting: every HTTP attempt any client makes is recorded here by system, method and
 * status, with its time. Commands report it (`--json` results, benchmarks) and tests assert on it
 * (e.g. "a no-change sync makes zero write calls", "dry-run sends no write").
 */

export interface CallRecord {
  method: string
  ms: number
  /** HTTP status, or the error code of an attempt that got no response (ETIMEDOUT, ECONNREFUSED…). */
  status: number | string
  system: string
}

export interface CallSummaryRow {
  count: number
  method: string
  status: number | string
  system: string
  totalMs: number
}

export interface SystemCalls {
  calls: number
  errors: number
  ms: number
  writes: number
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function isWriteMethod(method: string): boolean {
  return !READ_METHODS.has(method.toUpperCase())
}

export class CallLedger {
  /** system → method → status → row: recording a call builds no key. */
  private readonly rows = new Map<string, Map<string, Map<number | string, CallSummaryRow>>>()
  /** Write attempts that were only reads in disguise (Keystone auth, Gnocchi search…), by system. */
  private readonly readOnlyPosts = new Map<string, number>()

  /** Everything recorded, one row per system/method/status. */
  get summary(): CallSummaryRow[] {
    return [...this.allRows()].sort(
      (a, b) => a.system.localeCompare(b.system) || a.method.localeCompare(b.method) || String(a.status).localeCompare(String(b.status)),
    )
  }

  /** Totals per system. `writes` counts mutating requests only (a POST that only reads is not a write). */
  bySystem(): Record<string, SystemCalls> {
    const out: Record<string, SystemCalls> = {}
    for (const row of this.allRows()) {
      const s = (out[row.system] ??= {calls: 0, errors: 0, ms: 0, writes: 0})
      s.calls += row.count
      s.ms += row.totalMs
      if (typeof row.status !== 'number' || row.status >= 400) s.errors += row.count
      if (isWriteMethod(row.method)) s.writes += row.count
    }
    for (const [system, n] of this.readOnlyPosts) if (out[system]) out[system].writes -= n
    for (const s of Object.values(out)) s.ms = Math.round(s.ms)
    return out
  }

  record(rec: CallRecord & {readOnly?: boolean}): void {
    const method = rec.method.toUpperCase()
    let methods = this.rows.get(rec.system)
    if (methods === undefined) this.rows.set(rec.system, (methods = new Map()))
    let statuses = methods.get(method)
    if (statuses === undefined) methods.set(method, (statuses = new Map()))
    let row = statuses.get(rec.status)
    if (row === undefined) {
      row = {count: 0, method, status: rec.status, system: rec.system, totalMs: 0}
      statuses.set(rec.status, row)
    }
    row.count++
    row.totalMs += rec.ms
    if (rec.readOnly && isWriteMethod(method)) this.readOnlyPosts.set(rec.system, (this.readOnlyPosts.get(rec.system) ?? 0) + 1)
  }

  reset(): void {
    this.rows.clear()
    this.readOnlyPosts.clear()
  }

  /** Total calls (optionally of one system). */
  total(system?: string): number {
    let n = 0
    for (const row of this.allRows()) if (system === undefined || row.system === system) n += row.count
    return n
  }

  private *allRows(): Generator<CallSummaryRow> {
    for (const methods of this.rows.values()) for (const statuses of methods.values()) yield* statuses.values()
  }

  /** Mutating calls made (optionally to one system). */
  writes(system?: string): number {
    const by = this.bySystem()
    if (system !== undefined) return by[system]?.writes ?? 0
    return Object.values(by).reduce((n, s) => n + s.writes, 0)
  }
}
