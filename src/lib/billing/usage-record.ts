/**
 * Kill Bill usage records of CloudKitty charges: the unit type of a charge, and the deterministic
 * tracking id that makes recording exactly-once.
 *
 * Kill Bill's usage is cumulative over the period; we record the delta between CloudKitty's
 * month-to-date and what Kill Bill already holds (its rolled-up amount). The tracking id is derived
 * from (subscription, unit type, period, the cumulative amount the delta starts from): every record
 * moves one subscription's unit from one cumulative amount to a higher one, so
 *
 * - a retry, or a rerun after a crash that followed an accepted POST, computes the same id and
 *   Kill Bill refuses it as "already recorded" (or the rerun sees the new amount and has nothing to do);
 * - two runs at once that read the same rolled-up amount compute the same id whatever CloudKitty
 *   told each: one is recorded, the other is "already recorded" and its remainder (if CloudKitty
 *   moved in between) is the next run's delta;
 * - because decreases are never recorded (see README "Billing"), the amount a record starts from only
 *   grows within a period, so an id is never needed twice.
 */
import {createHash} from 'node:crypto'

import {usageAmount, USAGE_DECIMALS} from './amounts.js'

/** The original's unit types: `openstack-billed-<CloudKitty type>` (original-service.md §7.3). */
export const UNIT_TYPE_PREFIX = 'openstack-billed-'

export function unitTypeOf(cloudkittyType: string): string {
  return `${UNIT_TYPE_PREFIX}${cloudkittyType}`
}

/**
 * `cos-<period>-<32 hex>`: the period for people reading Kill Bill's records, a SHA-256 of
 * (subscription, unit type, period, the amount recorded before) for uniqueness.
 */
export function usageTrackingId(subscriptionId: string, unitType: string, periodId: string, recordedBefore: number): string {
  const from = usageAmount(recordedBefore).toFixed(USAGE_DECIMALS)
  const digest = createHash('sha256').update([subscriptionId, unitType, periodId, from].join('\n')).digest('hex').slice(0, 32)
  return `cos-${periodId}-${digest}`
}
