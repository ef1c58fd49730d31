/**
 * The app's money formats (reference/concertim-api.md §3.2): rack and device `cost` are
 * `'%.2f' % cost` ("0.00", "77.77"); team `cost` and `credits` are BigDecimal#to_s in ActiveSupport's
 * "F" format ("0.0", "100.001", "25.0").
 */

/**
 * `'%.2f' % value`: Ruby converts the decimal to a Float and rounds its exact value half to even.
 * `toFixed` rounds the exact value too, but ties up; a tie at two decimals needs `value * 8` to be an
 * odd integer, so only those values take the half-even path.
 */
export function formatCost(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const eighths = value * 8
  if (!Number.isInteger(eighths) || eighths % 2 === 0 || Math.abs(eighths) > Number.MAX_SAFE_INTEGER) return value.toFixed(2)
  // value = k + r/8 with r odd: r/8 ∈ {.125, .375, .625, .875} — the third decimal is 5, a tie.
  const cents = Math.trunc(value * 100)
  const even = cents % 2 === 0 ? cents : cents + Math.sign(value)
  const out = (Math.abs(even) / 100).toFixed(2)
  return even < 0 ? `-${out}` : out
}

/**
 * A decimal's canonical digits, exactly as given (no float rounding): `"012.500"` → `"12.5"`,
 * `7` → `"7"`, `"1e3"` → `"1000"`. Undefined when not a number.
 */
export function canonicalDecimal(raw: number | string): string | undefined {
  let s = typeof raw === 'number' ? numberToPlain(raw) : raw.trim()
  if (s === undefined) return undefined
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined
  const sign = m[1] === '-' ? '-' : ''
  let int = m[2]
  let frac = m[3] ?? ''
  let exp = Number(m[4] ?? 0)
  while (exp > 0) {
    int += frac.charAt(0) || '0'
    frac = frac.slice(1)
    exp--
  }
  while (exp < 0) {
    frac = (int.at(-1) ?? '0') + frac
    int = int.slice(0, -1)
    exp++
  }
  int = int.replace(/^0+/, '') || '0'
  frac = frac.replace(/0+$/, '')
  s = frac === '' ? int : `${int}.${frac}`
  return s === '0' ? '0' : sign + s
}

/** BigDecimal#to_s("F"): always at least one decimal, e.g. `"12"` → `"12.0"`. */
export function formatBigDecimal(canonical: string): string {
  return canonical.includes('.') ? canonical : `${canonical}.0`
}

function numberToPlain(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined
  return String(n)
}
