/**
 * Amounts: CloudKitty rates are floats with float noise (`0.25000000000000006`); Kill Bill keeps
 * usage as decimals; Concertim shows two decimals. Each is compared at its own precision, so that
 * noise never makes a write.
 */

/** Decimals of a Kill Bill usage amount we record and compare (1 unit = 1 USD in the catalog). */
export const USAGE_DECIMALS = 6
/** Decimals of a money amount shown by Concertim (`'%.2f'` for racks and devices). */
export const MONEY_DECIMALS = 2

export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals
  const r = Math.round((value + Number.EPSILON * Math.sign(value)) * f) / f
  return Object.is(r, -0) ? 0 : r
}

export const usageAmount = (value: number): number => roundTo(value, USAGE_DECIMALS)
export const money = (value: number): number => roundTo(value, MONEY_DECIMALS)
