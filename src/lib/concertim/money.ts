/**
 * Money on the Concertim wire (concertim-api.md §3.2): sent as decimal strings, received as strings
 * (`"77.77"` for racks and devices, BigDecimal `"12.0"` for teams).
 */
import type {Money} from './types.js'

const DECIMAL = /^-?\d+(\.\d+)?$/

/** A money amount as the decimal string Concertim is sent: `12.5` → `"12.5"`, never `"1e-7"`. */
export function moneyString(amount: Money): string {
  if (typeof amount === 'string') {
    const s = amount.trim()
    if (!DECIMAL.test(s)) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`)
    return s
  }
  if (!Number.isFinite(amount) || Math.abs(amount) >= 1e21) throw new RangeError(`not a usable amount: ${amount}`)
  const plain = String(amount)
  if (!/e/i.test(plain)) return plain
  // Tiny or huge numbers: fixed notation, trailing zeros dropped.
  return amount.toFixed(12).replace(/\.?0+$/, '')
}

/** A Concertim money string as a number (`"12.0"` → 12); NaN when it is not a decimal. */
export function parseMoney(text: null | string | undefined): number {
  if (text === null || text === undefined) return Number.NaN
  const s = text.trim()
  return DECIMAL.test(s) ? Number(s) : Number.NaN
}
