/**
 * ActiveModel::Errors as the app renders them (reference/concertim-api.md §3.3): `as_json` gives
 * `{"attr": ["message"]}`, `details` gives `{"attr": [{"error": "<key or custom message>", …options}]}`.
 * Attribute order is the order of the first error on each attribute, as in Ruby hashes. The
 * validators below reproduce Rails' numericality, presence, length and format checks.
 */

export interface ErrorDetail {
  [option: string]: unknown
  error: string
}

export class ModelErrors {
  private readonly entries = new Map<string, {detail: ErrorDetail; message: string}[]>()

  /** Add an error: `message` is what as_json shows, `detail` what details shows. */
  add(attr: string, message: string, detail: ErrorDetail = {error: message}): void {
    let list = this.entries.get(attr)
    if (!list) {
      list = []
      this.entries.set(attr, list)
    }
    list.push({detail, message})
  }

  has(attr: string): boolean {
    return this.entries.has(attr)
  }

  get empty(): boolean {
    return this.entries.size === 0
  }

  asJson(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const [attr, list] of this.entries) out[attr] = list.map((e) => e.message)
    return out
  }

  details(): Record<string, ErrorDetail[]> {
    const out: Record<string, ErrorDetail[]> = {}
    for (const [attr, list] of this.entries) out[attr] = list.map((e) => e.detail)
    return out
  }

  // ---- Rails validators ---------------------------------------------------------------------

  /** `validates attr, presence: true` (`blank` → "can't be blank"). */
  presence(attr: string, value: unknown, message = "can't be blank"): boolean {
    if (isBlank(value)) {
      this.add(attr, message, {error: message === "can't be blank" ? 'blank' : message})
      return false
    }
    return true
  }

  /** `belongs_to` (required): `blank` → "must exist". */
  mustExist(attr: string, exists: boolean): void {
    if (!exists) this.add(attr, 'must exist', {error: 'blank'})
  }

  maxLength(attr: string, value: unknown, max: number): void {
    if (typeof value === 'string' && [...value].length > max) {
      this.add(attr, `is too long (maximum is ${max} characters)`, {count: max, error: 'too_long'})
    }
  }

  format(attr: string, value: unknown, re: RegExp, message: string): void {
    if (value === null || value === undefined) return
    if (!re.test(String(value))) this.add(attr, message, {error: 'invalid', value})
  }

  taken(attr: string, value: unknown, withValue = true): void {
    this.add(attr, 'has already been taken', withValue ? {error: 'taken', value} : {error: 'taken'})
  }

  /**
   * `validates attr, numericality: {…}` on the raw (pre-cast) value. Returns the parsed number, or
   * undefined when the value is nil/blank (and allowed) or failed.
   */
  numericality(
    attr: string,
    raw: unknown,
    opts: {allowBlank?: boolean; allowNil?: boolean; greaterThan?: number; greaterThanOrEqualTo?: number; lessThan?: number; onlyInteger?: boolean},
  ): number | undefined {
    if (raw === null || raw === undefined || (opts.allowBlank && isBlank(raw))) {
      if (opts.allowNil || opts.allowBlank) return undefined
      this.add(attr, 'is not a number', {error: 'not_a_number', value: raw ?? null})
      return undefined
    }
    const n = parseNumber(raw)
    if (n === undefined) {
      this.add(attr, 'is not a number', {error: 'not_a_number', value: raw})
      return undefined
    }
    if (opts.onlyInteger && !isIntegerLike(raw)) {
      this.add(attr, 'must be an integer', {error: 'not_an_integer', value: raw})
      return undefined
    }
    const shown = opts.onlyInteger ? Math.trunc(n) : n
    let ok = true
    if (opts.greaterThan !== undefined && !(n > opts.greaterThan)) {
      this.add(attr, `must be greater than ${opts.greaterThan}`, {count: opts.greaterThan, error: 'greater_than', value: shown})
      ok = false
    }
    if (opts.greaterThanOrEqualTo !== undefined && !(n >= opts.greaterThanOrEqualTo)) {
      this.add(attr, `must be greater than or equal to ${opts.greaterThanOrEqualTo}`, {count: opts.greaterThanOrEqualTo, error: 'greater_than_or_equal_to', value: shown})
      ok = false
    }
    if (opts.lessThan !== undefined && !(n < opts.lessThan)) {
      this.add(attr, `must be less than ${opts.lessThan}`, {count: opts.lessThan, error: 'less_than', value: shown})
      ok = false
    }
    return ok ? shown : undefined
  }
}

/** Ruby's `blank?`: nil, false, empty or whitespace-only strings, empty arrays and hashes. */
export function isBlank(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return true
  if (typeof v === 'string') return v.trim() === ''
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v).length === 0
  return false
}

/** Rails' `parse_as_number`: numbers as they are, strings through `Kernel.Float`. */
export function parseNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined
  if (typeof raw !== 'string') return undefined
  const s = raw.trim().replaceAll(/(\d)_(?=\d)/g, '$1')
  if (!/^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined
  return Number(s)
}

/** Rails' `INTEGER_REGEX` (`/\A[+-]?\d+\z/`) on `to_s` of the raw value. */
export function isIntegerLike(raw: unknown): boolean {
  if (typeof raw === 'number') return Number.isInteger(raw)
  return typeof raw === 'string' && /^[+-]?\d+$/.test(raw)
}

/** Ruby's `Array#to_sentence` with " or " as the last connector (status messages). */
export function toSentenceOr(words: readonly string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
}
