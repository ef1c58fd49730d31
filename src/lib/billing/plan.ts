/**
 * The billing plan, decided by pure functions over what was read:
 *
 * - `planCosts`: each managed device's cost is CloudKitty's month-to-date of its cloud object (all
 *   types summed); a managed rack's cost is the sum of its devices' (original-service.md §1.7); and
 *   per rack, the charges per CloudKitty type that Kill Bill bills;
 * - `planUsage`: per rack subscription and unit type, the delta between CloudKitty's month-to-date
 *   and Kill Bill's rolled-up amount, with its deterministic tracking id; decreases are reported,
 *   never recorded;
 * - `planTeams`: a team's cost (its project's month-to-date), credits (account credit − draft
 *   invoice) and billing period.
 *
 * Only what differs from what Concertim shows is planned, at Concertim's precision: a run with no
 * rating change plans nothing.
 */
import type {Device, Rack, Team} from '../concertim/types.js'
import {parseMoney} from '../concertim/money.js'
import {DeviceMetadata, RackMetadata} from '../model/metadata.js'
import {money, usageAmount} from './amounts.js'
import type {BillingPeriod} from './period.js'
import type {Ratings} from './ratings.js'
import {unitTypeOf, usageTrackingId} from './usage-record.js'

export interface CostChange {
  /** Concertim's id. */
  id: string
  kind: 'device' | 'rack'
  name: string
  /** The cost Concertim shows (NaN when it shows none or a non-number). */
  from: number
  to: number
}

export interface TeamChange {
  id: string
  name: string
  /** Only the fields that change, as Concertim is sent them. */
  update: {billing_period_end?: string; billing_period_start?: string; cost?: string; credits?: string}
  /** The same fields as Concertim shows them now. */
  before: {billing_period_end?: null | string; billing_period_start?: null | string; cost?: string; credits?: string}
}

/** What a rack's subscription is charged, per CloudKitty type, this period. */
export interface RackCharges {
  /** The Kill Bill account of the rack's team. */
  accountId: string
  /** CloudKitty type → month-to-date amount of the rack's devices (and of the members it had earlier this month). */
  charges: Map<string, number>
  /** The cloud ids billed to the subscription this month: its devices now and the members remembered. */
  members: Set<string>
  rackId: string
  rackName: string
  subscriptionId: string
  teamName: string
}

export interface CostPlan {
  changes: CostChange[]
  /** Racks that have a Kill Bill subscription and whose team has an account. */
  billable: RackCharges[]
  /** Managed devices that CloudKitty has not rated this period (their cost is 0). */
  unrated: number
}

const UUID_RE = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i

/** A rack's order id is a Kill Bill subscription (not the `concertim-os:stack:…` of a deployment without billing). */
export function isSubscriptionId(orderId: null | string | undefined): orderId is string {
  return typeof orderId === 'string' && UUID_RE.test(orderId)
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Device and rack costs, and each billable rack's charges. */
export function planCosts(input: {
  devices: readonly Device[]
  /**
   * Subscription → cloud ids its rack held earlier in the period. A server deleted mid-month leaves
   * its rack (its device is deleted) but keeps its month-to-date in CloudKitty: it stays billed to
   * the subscription, or the rack's charges would fall and its remaining usage go unbilled.
   */
  members?: ReadonlyMap<string, ReadonlySet<string>>
  racks: readonly Rack[]
  ratings: Pick<Ratings, 'byResource'>
}): CostPlan {
  const changes: CostChange[] = []
  const rackTotals = new Map<string, {charges: Map<string, number>; ids: Set<string>; total: number}>()
  let unrated = 0
  for (const d of input.devices) {
    const cloudId = str(d.metadata?.[DeviceMetadata.instanceId])
    if (cloudId === undefined) continue
    const rated = input.ratings.byResource.get(cloudId)
    if (rated === undefined) unrated++
    let total = 0
    const rackId = d.location?.rack_id
    let rack = rackId === undefined ? undefined : rackTotals.get(rackId)
    if (rack === undefined && rackId !== undefined) rackTotals.set(rackId, (rack = {charges: new Map(), ids: new Set(), total: 0}))
    rack?.ids.add(cloudId)
    for (const [type, amount] of rated ?? []) {
      total += amount
      if (rack) rack.charges.set(type, (rack.charges.get(type) ?? 0) + amount)
    }
    if (rack) rack.total += total
    const to = money(total)
    const from = parseMoney(d.cost)
    if (from !== to) changes.push({from, id: d.id, kind: 'device', name: d.name, to})
  }
  const billable: RackCharges[] = []
  for (const r of input.racks) {
    const managed = str(r.metadata?.[RackMetadata.stackId]) ?? str(r.metadata?.[RackMetadata.standaloneProjectId])
    if (managed === undefined) continue
    const totals = rackTotals.get(r.id)
    const to = money(totals?.total ?? 0)
    const from = parseMoney(r.cost)
    if (from !== to) changes.push({from, id: r.id, kind: 'rack', name: r.name, to})
    const accountId = str(r.owner?.billing_acct_id)
    if (accountId !== undefined && isSubscriptionId(r.order_id)) {
      const charges = new Map(totals?.charges ?? [])
      const members = new Set(totals?.ids ?? [])
      for (const id of input.members?.get(r.order_id) ?? []) {
        if (members.has(id)) continue
        members.add(id)
        for (const [type, amount] of input.ratings.byResource.get(id) ?? []) charges.set(type, (charges.get(type) ?? 0) + amount)
      }
      billable.push({accountId, charges, members, rackId: r.id, rackName: r.name, subscriptionId: r.order_id, teamName: r.owner.name})
    }
  }
  return {billable, changes, unrated}
}

export interface UsageRecordPlan {
  /** The amount recorded: CloudKitty's month-to-date − Kill Bill's rolled-up amount. */
  amount: number
  /** CloudKitty's type. */
  chargeType: string
  rackId: string
  rackName: string
  recordDate: string
  /** Kill Bill's rolled-up amount before the record. */
  recorded: number
  subscriptionId: string
  /** CloudKitty's month-to-date: Kill Bill's rolled-up amount after the record. */
  target: number
  trackingId: string
  unitType: string
}

/** Kill Bill holds more than CloudKitty's month-to-date (a re-rating lower, a member gone): not recorded. */
export interface OverRecorded {
  rackId: string
  rackName: string
  rated: number
  recorded: number
  subscriptionId: string
  unitType: string
}

export interface UsagePlan {
  overRecorded: OverRecorded[]
  records: UsageRecordPlan[]
}

/**
 * The usage records of one period. `rolledUp` holds Kill Bill's amounts per subscription and unit
 * type for the period (a subscription absent from it is skipped: it could not be read). Unit types
 * Kill Bill holds that CloudKitty no longer rates count as rated 0.
 */
export function planUsage(input: {billable: readonly RackCharges[]; period: BillingPeriod; recordDate: string; rolledUp: ReadonlyMap<string, ReadonlyMap<string, number>>}): UsagePlan {
  const records: UsageRecordPlan[] = []
  const overRecorded: OverRecorded[] = []
  for (const rack of input.billable) {
    const held = input.rolledUp.get(rack.subscriptionId)
    if (held === undefined) continue
    const units = new Map<string, {chargeType: string; rated: number}>()
    for (const [type, amount] of rack.charges) units.set(unitTypeOf(type), {chargeType: type, rated: usageAmount(amount)})
    for (const unit of held.keys()) if (!units.has(unit)) units.set(unit, {chargeType: unit.replace(/^openstack-billed-/, ''), rated: 0})
    for (const [unitType, {chargeType, rated}] of [...units].sort(([a], [b]) => a.localeCompare(b))) {
      const recorded = usageAmount(held.get(unitType) ?? 0)
      const delta = usageAmount(rated - recorded)
      if (delta > 0) {
        records.push({
          amount: delta,
          chargeType,
          rackId: rack.rackId,
          rackName: rack.rackName,
          recordDate: input.recordDate,
          recorded,
          subscriptionId: rack.subscriptionId,
          target: rated,
          trackingId: usageTrackingId(rack.subscriptionId, unitType, input.period.id, recorded),
          unitType,
        })
      } else if (delta < 0) {
        overRecorded.push({rackId: rack.rackId, rackName: rack.rackName, rated, recorded, subscriptionId: rack.subscriptionId, unitType})
      }
    }
  }
  return {overRecorded, records}
}

/**
 * Team cost, credits and billing period, for teams with a project (cost) and an account (credits,
 * period; as the original, a team without an account gets no period). `credits` holds the remaining
 * credits of the accounts that could be read; a team whose account is absent keeps its credits.
 */
export function planTeams(input: {credits: ReadonlyMap<string, number>; period: BillingPeriod; ratings: Pick<Ratings, 'byProject'>; teams: readonly Team[]}): TeamChange[] {
  const out: TeamChange[] = []
  for (const t of input.teams) {
    const projectId = str(t.project_id)
    if (projectId === undefined) continue
    const change: TeamChange = {before: {}, id: t.id, name: t.name, update: {}}
    const cost = money(input.ratings.byProject.get(projectId) ?? 0)
    if (parseMoney(t.cost) !== cost) {
      change.update.cost = cost.toFixed(2)
      change.before.cost = t.cost
    }
    const accountId = str(t.billing_acct_id)
    if (accountId !== undefined) {
      const credits = input.credits.get(accountId)
      if (credits !== undefined && parseMoney(t.credits) !== money(credits)) {
        change.update.credits = money(credits).toFixed(2)
        change.before.credits = t.credits
      }
      if (t.billing_period_start !== input.period.start || t.billing_period_end !== input.period.end) {
        // Sent together: Concertim validates them as a pair (both or neither, end > start).
        change.update.billing_period_start = input.period.start
        change.update.billing_period_end = input.period.end
        change.before.billing_period_start = t.billing_period_start
        change.before.billing_period_end = t.billing_period_end
      }
    }
    if (Object.keys(change.update).length > 0) out.push(change)
  }
  return out
}
