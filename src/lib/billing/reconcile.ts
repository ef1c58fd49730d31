/**
 * One `billing reconcile` run: read (CloudKitty in bulk, Concertim's teams/racks/devices, Kill
 * Bill's rolled-up usage), plan (pure, `plan.ts`), then write in an order that never leaves
 * Concertim half-written when Kill Bill or CloudKitty is down:
 *
 * 1. every read of the plan — any system unreadable ends the run (exit 1) before a single write;
 * 2. Kill Bill usage deltas (deterministic tracking ids: a duplicate is "already recorded");
 * 3. each team's remaining credits (read after the usage, so the draft invoice includes it) —
 *    unreadable: exit 1, Concertim still untouched;
 * 4. Concertim costs, credits and billing periods, only what differs; a refusal (422) is reported
 *    with Concertim's message and the rest goes on (exit 3).
 *
 * The previous month is settled too (its final delta, records dated its last day) by the runs of
 * the new month's first `settleGraceMs` and once more after; then it is marked settled and left
 * alone. The mark only saves calls: settling again records nothing (same deltas, same ids).
 */
import pLimit from 'p-limit'

import type {Device, Rack, Team, TeamUpdate} from '../concertim/types.js'
import {AppError} from '../errors.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import type {KillBillClient, UsageOutcome} from '../killbill/client.js'
import type {Logger} from '../output/logger.js'
import {closest} from '../suggest.js'
import {usageAmount} from './amounts.js'
import {remainingCredits} from './credits.js'
import {type BillingPeriod, periodAt, previousPeriod, recordDateIn} from './period.js'
import {type CostChange, type OverRecorded, planCosts, planTeams, planUsage, type RackCharges, type TeamChange, type UsageRecordPlan} from './plan.js'
import {type Ratings, readRatings, type SummaryReader} from './ratings.js'
import {unitTypeOf} from './usage-record.js'

export interface BillingClients {
  cloudkitty: SummaryReader
  concertim: {
    devices(): Promise<Device[]>
    racks(): Promise<Rack[]>
    teams(): Promise<Team[]>
    updateDevice(id: string, update: {cost: string}): Promise<unknown>
    updateRack(id: string, update: {cost: string}): Promise<unknown>
    updateTeam(id: string, update: TeamUpdate): Promise<unknown>
  }
  /** Absent when billing is off (no `killbill` section): costs only. */
  killbill?: Pick<KillBillClient, 'account' | 'dryRunInvoice' | 'recordUsage' | 'rolledUpUsage'>
  logger?: Logger
  /** Where the last settled month is kept (the view store); absent: the previous month is settled on every run. */
  settlement?: {markSettled(periodId: string): Promise<void>; settledThrough(): Promise<string | undefined>}
  /**
   * What Kill Bill was last seen to hold this month per subscription and unit type (the view store).
   * A subscription whose CloudKitty charges equal it is not read again: Kill Bill cannot hold less
   * (usage is never removed), and holding more only happens after a decrease, which records nothing
   * either. Losing it costs one read per subscription, never a wrong record.
   */
  usageCache?: {load(periodId: string): Promise<UsageSnapshot | undefined>; save(periodId: string, snapshot: UsageSnapshot): Promise<void>}
  /** The cloud ids each subscription's rack held earlier in a month (the view store): see `planCosts`. */
  membership?: {load(periodId: string): Promise<Membership>; save(periodId: string, members: Membership): Promise<void>}
}

/** Subscription id → cloud ids. */
export type Membership = Map<string, Set<string>>

/** Subscription id → unit type → amount. */
export type UsageSnapshot = Map<string, Map<string, number>>

export interface BillingOptions {
  /** Requests in flight per system. */
  concurrency: number
  dryRun: boolean
  /** The time of the run (ms); default now. */
  now?: number
  /** Settle this (past) month by hand instead of reconciling the current one. */
  period?: BillingPeriod
  /** How long into a month the previous one is still re-settled (CloudKitty rates late periods late), ms. */
  settleGraceMs: number
  /** Only this team (by name). */
  team?: string
}

export type WriteOutcome = 'applied' | 'failed' | 'planned'

export interface UsageLine extends UsageRecordPlan {
  error?: string
  outcome: 'failed' | 'planned' | UsageOutcome
  period: string
}

export interface BillingProblem {
  id?: string
  message: string
  what: string
}

export interface BillingCounts {
  costChanges: number
  costsApplied: number
  devices: number
  failed: number
  overRecorded: number
  racks: number
  subscriptions: number
  teamChanges: number
  teamsApplied: number
  teams: number
  unrated: number
  usageDuplicate: number
  usagePlanned: number
  usageRecorded: number
}

export interface BillingReport {
  at: string
  /** CloudKitty summary pages read. */
  cloudkittyPages: number
  costs: (CostChange & {error?: string; outcome: WriteOutcome})[]
  counts: BillingCounts
  dryRun: boolean
  exitCode: ExitCodeValue
  overRecorded: (OverRecorded & {period: string})[]
  period: {end: string; id: string; start: string}
  problems: BillingProblem[]
  /** The previous month when this run settled it, and whether it is now marked settled. */
  settled?: {id: string; marked: boolean}
  teams: (TeamChange & {error?: string; outcome: WriteOutcome})[]
  usage: UsageLine[]
}

/** A system could not be read: the run stops before writing anything (exit 1). */
function unreadable(system: string, what: string, error: unknown, hint: string): AppError {
  const e = error as AppError
  return new AppError(`cannot read ${what} from ${system}, so nothing was written: ${(error as Error).message}`, {
    cause: error,
    code: e.code && e.code !== 'E_FAILURE' ? e.code : `E_${system.toUpperCase().replaceAll(' ', '_')}`,
    hint: e.hint ?? hint,
  })
}

const CK_HINT = 'is CloudKitty (the rating service) up and in the Keystone catalog, and does the user have the admin role? try: concertim-os doctor'
const KB_HINT = 'is Kill Bill up at killbill.api_host, and are the killbill credentials right? try: concertim-os doctor'
const C_HINT = 'check the concertim section of the configuration (try: concertim-os doctor)'

export async function runBillingReconcile(clients: BillingClients, opts: BillingOptions): Promise<BillingReport> {
  const now = opts.now ?? Date.now()
  const current = periodAt(now)
  const target = opts.period ?? current
  const settling = target.id !== current.id
  const limit = pLimit(Math.max(1, opts.concurrency))
  const problems: BillingProblem[] = []
  const kb = clients.killbill

  // ---- 1. reads -------------------------------------------------------------------------
  let teams: Team[]
  let racks: Rack[]
  let devices: Device[]
  try {
    ;[teams, racks, devices] = await Promise.all([clients.concertim.teams(), clients.concertim.racks(), clients.concertim.devices()])
  } catch (error) {
    throw unreadable('Concertim', 'the teams, racks and devices', error, C_HINT)
  }
  let projectId: string | undefined
  if (opts.team !== undefined) {
    const team = teams.find((t) => t.name === opts.team)
    if (team === undefined) {
      const guess = closest(opts.team, teams.map((t) => t.name))
      throw new AppError(`there is no Concertim team named '${opts.team}'`, {code: 'E_USAGE', exitCode: ExitCode.USAGE, hint: guess ? `did you mean --team ${guess}?` : 'see the team names with: concertim-os view dump --type team'})
    }
    teams = [team]
    racks = racks.filter((r) => r.owner?.id === team.id)
    const rackIds = new Set(racks.map((r) => r.id))
    devices = devices.filter((d) => rackIds.has(d.location?.rack_id))
    projectId = team.project_id ?? '-'
  }

  const settledThrough = settling || !kb ? undefined : await clients.settlement?.settledThrough()
  const previous = previousPeriod(current)
  const remembered = async (p: BillingPeriod): Promise<Membership> => {
    if (!kb || !clients.membership) return new Map()
    try {
      return await clients.membership.load(p.id)
    } catch (error) {
      clients.logger?.warn({err: (error as Error).message}, `cannot read which servers the racks held earlier in ${p.id}; billing their current devices only`)
      return new Map()
    }
  }
  const previousMembers = settling ? new Map() : await remembered(previous)
  // The previous month is settled when this tool billed it (it remembers its members) and it is not
  // marked settled yet. A first run ever does not bill a month retroactively: --period does that.
  const billedPrevious = clients.membership === undefined || previousMembers.size > 0 || settledThrough !== undefined
  const settlePrevious = !settling && kb !== undefined && billedPrevious && (settledThrough === undefined || settledThrough < previous.id)

  const readPeriod = async (p: BillingPeriod): Promise<Ratings> => {
    try {
      return await readRatings(clients.cloudkitty, p, {projectId})
    } catch (error) {
      throw unreadable('CloudKitty', `the rating summary of ${p.id}`, error, CK_HINT)
    }
  }
  const [ratings, previousRatings] = await Promise.all([readPeriod(target), settlePrevious ? readPeriod(previous) : Promise.resolve(undefined)])

  const members = await remembered(target)
  const costPlan = planCosts({devices, members, racks, ratings})
  const billable = kb ? costPlan.billable : []
  if (kb && clients.membership && !opts.dryRun) await keepMembers(clients, target, members, billable)
  // The cache covers the whole current month's billing, so it is used (and kept) only by full runs of it.
  const cacheable = !settling && opts.team === undefined && clients.usageCache !== undefined
  let cached: UsageSnapshot | undefined
  if (cacheable && kb) {
    try {
      cached = await clients.usageCache!.load(target.id)
    } catch (error) {
      clients.logger?.warn({err: (error as Error).message}, 'cannot read the usage last seen in Kill Bill; reading it from Kill Bill')
    }
  }
  const rolledUp = async (p: BillingPeriod, of: readonly RackCharges[], known?: UsageSnapshot): Promise<Map<string, Map<string, number>>> => {
    const out = new Map<string, Map<string, number>>()
    const subs = [...new Set(of.map((r) => r.subscriptionId))].filter((sub) => {
      const seen = known?.get(sub)
      if (seen === undefined || !matches(seen, of.filter((r) => r.subscriptionId === sub))) return true
      out.set(sub, new Map(seen))
      return false
    })
    try {
      await Promise.all(
        subs.map(async (sub) =>
          limit(async () => {
            const usage = await kb!.rolledUpUsage(sub, {endDate: p.end, startDate: p.start})
            if (usage === null) {
              problems.push({id: sub, message: `Kill Bill does not know subscription ${sub} (the order of a rack): its usage is not recorded`, what: 'subscription'})
              return
            }
            out.set(sub, new Map((usage.rolledUpUnits ?? []).map((u) => [u.unitType, Number(u.amount) || 0])))
          }),
        ),
      )
    } catch (error) {
      throw unreadable('Kill Bill', `the usage recorded for ${p.id}`, error, KB_HINT)
    }
    return out
  }
  const [held, heldPrevious] = await Promise.all([rolledUp(target, billable, cached), settlePrevious ? rolledUp(previous, billable) : Promise.resolve(undefined)])

  const usagePlan = planUsage({billable, period: target, recordDate: recordDateIn(target, now), rolledUp: held})
  const usage: UsageLine[] = usagePlan.records.map((r) => ({...r, outcome: 'planned', period: target.id}))
  const overRecorded = usagePlan.overRecorded.map((o) => ({...o, period: target.id}))
  if (settlePrevious && previousRatings && heldPrevious) {
    const previousBillable = planCosts({devices, members: previousMembers, racks, ratings: previousRatings}).billable
    if (clients.membership && !opts.dryRun) await keepMembers(clients, previous, previousMembers, previousBillable)
    const prev = planUsage({billable: previousBillable, period: previous, recordDate: previous.lastDay, rolledUp: heldPrevious})
    usage.push(...prev.records.map((r): UsageLine => ({...r, outcome: 'planned', period: previous.id})))
    overRecorded.push(...prev.overRecorded.map((o) => ({...o, period: previous.id})))
  }

  // ---- 2. Kill Bill usage ---------------------------------------------------------------
  if (!opts.dryRun && kb) {
    await Promise.all(
      usage.map(async (line) =>
        limit(async () => {
          try {
            line.outcome = await kb.recordUsage({
              subscriptionId: line.subscriptionId,
              trackingId: line.trackingId,
              unitUsageRecords: [{unitType: line.unitType, usageRecords: [{amount: line.amount, recordDate: line.recordDate}]}],
            }, {comment: `${line.period}: ${line.recorded} -> ${line.target}`, reason: 'CloudKitty month-to-date'})
          } catch (error) {
            line.outcome = 'failed'
            line.error = (error as Error).message
            problems.push({id: line.subscriptionId, message: `usage ${line.unitType} of rack ${line.rackName} (${line.period}, +${line.amount}) was not recorded: ${line.error}`, what: 'usage'})
          }
        }),
      ),
    )
  }

  if (cacheable && kb && !opts.dryRun) {
    // What Kill Bill holds now: what was read (or known), moved by what this run recorded. A
    // subscription with a record not known to have landed as planned is left out (read next time).
    const next: UsageSnapshot = new Map([...held].map(([sub, units]) => [sub, new Map(units)]))
    for (const line of usage) {
      if (line.period !== target.id) continue
      if (line.outcome === 'recorded') next.get(line.subscriptionId)?.set(line.unitType, line.target)
      else next.delete(line.subscriptionId)
    }
    if (!sameSnapshot(next, cached)) {
      try {
        await clients.usageCache!.save(target.id, next)
      } catch (error) {
        clients.logger?.warn({err: (error as Error).message}, 'cannot keep the usage seen in Kill Bill; the next run reads it again')
      }
    }
  }

  // ---- 3. credits -----------------------------------------------------------------------
  const credits = new Map<string, number>()
  if (kb && !settling) {
    const accounts = [...new Set(teams.map((t) => t.billing_acct_id).filter((a): a is string => typeof a === 'string' && a !== ''))]
    try {
      await Promise.all(
        accounts.map(async (accountId) =>
          limit(async () => {
            const remaining = await remainingCredits(kb, accountId, {now})
            if (remaining === null) problems.push({id: accountId, message: `Kill Bill does not know account ${accountId} (a team's billing_acct_id): its credits are left as they are`, what: 'account'})
            else credits.set(accountId, remaining)
          }),
        ),
      )
    } catch (error) {
      throw unreadable('Kill Bill', "the teams' credits", error, KB_HINT)
    }
  }

  // ---- 4. Concertim ---------------------------------------------------------------------
  // A past month (--period) changes Kill Bill only: Concertim shows the current period.
  const costs = settling ? [] : costPlan.changes.map((c) => ({...c, outcome: 'planned' as WriteOutcome}))
  const teamChanges = settling ? [] : planTeams({credits, period: target, ratings, teams}).map((c) => ({...c, outcome: 'planned' as WriteOutcome}))
  if (!opts.dryRun) {
    const write = async (line: {error?: string; id: string; outcome: WriteOutcome}, what: string, name: string, send: () => Promise<unknown>) =>
      limit(async () => {
        try {
          await send()
          line.outcome = 'applied'
        } catch (error) {
          line.outcome = 'failed'
          line.error = (error as Error).message
          problems.push({id: line.id, message: `${what} ${name}: ${line.error}`, what})
        }
      })
    await Promise.all([
      ...costs.map(async (c) => write(c, c.kind, c.name, async () => (c.kind === 'device' ? clients.concertim.updateDevice(c.id, {cost: c.to.toFixed(2)}) : clients.concertim.updateRack(c.id, {cost: c.to.toFixed(2)})))),
      ...teamChanges.map(async (t) => write(t, 'team', t.name, async () => clients.concertim.updateTeam(t.id, t.update))),
    ])
  }

  // ---- the previous month settled? ------------------------------------------------------
  let settled: BillingReport['settled']
  if (settlePrevious) {
    const clean = usage.every((u) => u.period !== previous.id || u.outcome !== 'failed') && !problems.some((p) => p.what === 'subscription')
    const final = now >= current.startMs + opts.settleGraceMs
    let marked = false
    if (!opts.dryRun && clean && final && clients.settlement) {
      try {
        await clients.settlement.markSettled(previous.id)
        marked = true
      } catch (error) {
        clients.logger?.warn({err: (error as Error).message}, `cannot keep the mark that ${previous.id} is settled; the next run settles it again (records nothing twice)`)
      }
    }
    settled = {id: previous.id, marked}
  }

  const failed = usage.filter((u) => u.outcome === 'failed').length + costs.filter((c) => c.outcome === 'failed').length + teamChanges.filter((t) => t.outcome === 'failed').length
  const counts: BillingCounts = {
    costChanges: costs.length,
    costsApplied: costs.filter((c) => c.outcome === 'applied').length,
    devices: devices.length,
    failed,
    overRecorded: overRecorded.length,
    racks: racks.length,
    subscriptions: new Set(billable.map((b) => b.subscriptionId)).size,
    teamChanges: teamChanges.length,
    teamsApplied: teamChanges.filter((t) => t.outcome === 'applied').length,
    teams: teams.length,
    unrated: costPlan.unrated,
    usageDuplicate: usage.filter((u) => u.outcome === 'duplicate').length,
    usagePlanned: usage.length,
    usageRecorded: usage.filter((u) => u.outcome === 'recorded').length,
  }
  return {
    at: new Date(now).toISOString(),
    cloudkittyPages: ratings.pages + (previousRatings?.pages ?? 0),
    costs,
    counts,
    dryRun: opts.dryRun,
    exitCode: failed > 0 || problems.length > 0 ? ExitCode.PARTIAL : ExitCode.OK,
    overRecorded,
    period: {end: target.end, id: target.id, start: target.start},
    problems,
    settled,
    teams: teamChanges,
    usage,
  }
}

/** The charges of a subscription's racks equal what Kill Bill was seen to hold, unit by unit (at usage precision). */
function matches(seen: ReadonlyMap<string, number>, racks: readonly RackCharges[]): boolean {
  const rated = new Map<string, number>()
  for (const r of racks) for (const [type, amount] of r.charges) rated.set(unitTypeOf(type), (rated.get(unitTypeOf(type)) ?? 0) + amount)
  for (const unit of new Set([...rated.keys(), ...seen.keys()])) if (usageAmount(rated.get(unit) ?? 0) !== usageAmount(seen.get(unit) ?? 0)) return false
  return true
}

function sameSnapshot(a: UsageSnapshot, b: UsageSnapshot | undefined): boolean {
  if (b === undefined || a.size !== b.size) return false
  for (const [sub, units] of a) {
    const other = b.get(sub)
    if (other === undefined || other.size !== units.size) return false
    for (const [unit, amount] of units) if (other.get(unit) !== amount) return false
  }
  return true
}

/** Remember the members billed to each subscription in the period (those already remembered and the devices now), when new ones appeared. */
async function keepMembers(clients: BillingClients, p: BillingPeriod, known: Membership, billable: readonly RackCharges[]): Promise<void> {
  let grew = false
  const next: Membership = new Map([...known].map(([sub, ids]) => [sub, new Set(ids)]))
  for (const r of billable) {
    let ids = next.get(r.subscriptionId)
    if (ids === undefined) next.set(r.subscriptionId, (ids = new Set()))
    for (const id of r.members) {
      if (ids.has(id)) continue
      ids.add(id)
      grew = true
    }
  }
  if (!grew) return
  try {
    await clients.membership!.save(p.id, next)
  } catch (error) {
    clients.logger?.warn({err: (error as Error).message}, `cannot remember which servers the racks held in ${p.id}; a server deleted later this month may go unbilled`)
  }
}
