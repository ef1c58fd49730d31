/**
 * A doctor check: one row of the report. A check that could not run because an earlier one failed
 * is `skipped` (so each problem gives one ✗ row, not a cascade).
 */
import {AppError} from '../errors.js'
import {HttpError} from '../http/index.js'
import {redactText} from '../output/redact.js'

export type CheckOutcome = 'fail' | 'ok' | 'skipped' | 'warn'

export interface CheckResult {
  check: string
  detail: string
  /** How to fix it (for fail and warn). */
  hint?: string
  ms: number
  outcome: CheckOutcome
  system: string
}

export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly outcome: 'fail' | 'warn' = 'fail',
  ) {
    super(message)
  }
}

/**
 * Runs the checks of one system in order. `step` runs a check; when it fails, every later step of
 * the same chain is reported as skipped.
 */
export class CheckChain {
  readonly results: CheckResult[] = []
  private blockedBy?: string

  constructor(readonly system: string) {}

  /** Run one check; its function returns the ✓ detail or throws. Returns whether it passed. */
  async step(check: string, fn: () => Promise<string>, opts: {blocking?: boolean} = {}): Promise<boolean> {
    if (this.blockedBy !== undefined) {
      this.results.push({check, detail: `not checked: ${this.blockedBy} failed`, ms: 0, outcome: 'skipped', system: this.system})
      return false
    }
    const started = performance.now()
    try {
      const detail = await fn()
      this.results.push({check, detail, ms: Math.round(performance.now() - started), outcome: 'ok', system: this.system})
      return true
    } catch (error) {
      const {detail, hint, outcome} = describeFailure(error)
      this.results.push({check, detail, hint, ms: Math.round(performance.now() - started), outcome, system: this.system})
      if (outcome === 'fail' && opts.blocking !== false) this.blockedBy = check
      return outcome !== 'fail'
    }
  }
}

function describeFailure(error: unknown): {detail: string; hint?: string; outcome: 'fail' | 'warn'} {
  if (error instanceof CheckFailure) return {detail: redactText(error.message), hint: error.hint, outcome: error.outcome}
  if (error instanceof HttpError) return {detail: error.message, hint: error.hint, outcome: 'fail'}
  if (error instanceof AppError) return {detail: error.message, hint: error.hint, outcome: 'fail'}
  const e = error as Error & {code?: string}
  return {detail: redactText(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`), outcome: 'fail'}
}
