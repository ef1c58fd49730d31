/**
 * Deletion safety over a whole plan (DESIGN §3): each candidate's evidence is gathered here from what
 * the plan knows (listing completeness, the direct GETs' answers, what the cloud still lists, the
 * baseline's misses, the scope, the token's reach) and handed to `decide`, the one place that
 * decides; then the cap applies over all the deletions that would go.
 *
 * Order of decisions: racks of stacks first (a rack that goes takes its devices with it: Concertim
 * deletes it with `recurse`); the devices of a rack still waiting for its stack's GET wait too (no
 * GET per server of a stack that may be gone); the devices of a rack that stays are decided one by
 * one (a rack kept for a hand-made device loses our devices of deleted servers); a team's
 * stand-alone rack goes once every device of ours in it goes (it has no cloud object of its own to
 * GET: its evidence is its devices').
 */
import type {Baseline} from '../../model/baseline.js'
import type {ConcertimDevice, ConcertimRack} from '../../model/concertim.js'
import type {DesiredCompleteness} from '../../model/desired.js'
import type {DeviceDelete, DirectAnswer, PendingConfirmation, RackDelete} from '../../model/plan.js'
import {decide, type DeletionDecision, type DeletionEvidence} from './decide.js'

export {decide, type DeletionDecision, type DeletionEvidence} from './decide.js'
export {DeletionWindow} from './window.js'

export interface RackCandidate {
  cloudId: string
  /** Devices in the rack (all of them, ours or not). */
  contents: readonly ConcertimDevice[]
  key: string
  kind: 'stack' | 'standalone'
  rack: ConcertimRack
  /** Our devices in the rack that stay (their cloud objects are shown here, or kept as unknown). */
  stayingContents: number
  unmanagedContents: number
}

export interface DeviceCandidate {
  cloudId: string
  device: ConcertimDevice
  key: string
  /** The key of the device's rack when that rack is ours. */
  rackKey: null | string
  /** The stack id of the device's rack, if any. */
  stackId: null | string
}

export interface DeletionInput {
  allowMassDelete: boolean
  /**
   * Devices the plan deletes besides these candidates: misplaced copies of devices made again in
   * the right rack (their cloud objects exist). They count towards the cap.
   */
  alsoDeleting?: number
  baseline: Baseline
  complete: DesiredCompleteness
  devices: readonly DeviceCandidate[]
  /** What direct GETs said, by cloud id (absent: not asked). */
  direct: ReadonlyMap<string, DirectAnswer>
  /** Cloud ids this run's listings show (servers, volumes, networks, stacks). */
  listed: ReadonlySet<string>
  /** Managed racks + managed devices in Concertim (for the default cap). */
  managedCount: number
  maxDeletes?: number
  racks: readonly RackCandidate[]
  scope: 'all' | 'entity'
  /** The OpenStack token is proven to see every project. */
  seesAllProjects: boolean
}

export interface DeletionPlan {
  actions: (DeviceDelete | RackDelete)[]
  capExceeded: boolean
  /** Listings a direct GET proved wrong (full syncs): one line each, for the report. */
  inconsistencies: string[]
  maxDeletes: number
  pending: PendingConfirmation[]
}

export function capMessage(total: number, maxDeletes: number): string {
  return `${total} deletes planned, more than the cap of ${maxDeletes}; none is done without --allow-mass-delete`
}

/** 10% of the managed objects, at least 5. */
export function defaultMaxDeletes(managedCount: number): number {
  return Math.max(5, Math.floor(managedCount / 10))
}

type CloudKind = 'network' | 'server' | 'stack' | 'volume'
const CLOUD_KIND = {Instance: 'server', Network: 'network', Volume: 'volume'} as const
const LISTING = {network: 'networks', server: 'servers', stack: 'stacks', volume: 'volumes'} as const
const LISTING_NAME: Readonly<Record<CloudKind, string>> = {network: 'neutron network', server: 'nova server', stack: 'heat stack', volume: 'cinder volume'}

function rackIncomplete(c: RackCandidate, complete: DesiredCompleteness): null | string {
  if (!complete.stacks) return 'the Heat stack listing was incomplete'
  if (c.kind === 'standalone' && !complete.servers) return 'the server listing was incomplete or had partial records'
  return null
}

function deviceIncomplete(c: DeviceCandidate, complete: DesiredCompleteness, unknownResources: ReadonlySet<string>): null | string {
  const listing = LISTING[CLOUD_KIND[c.device.type]]
  if (!complete[listing]) return `the ${listing} listing was incomplete or had partial records`
  if (!complete.stacks) return 'the Heat stack listing was incomplete'
  if (c.stackId !== null && unknownResources.has(c.stackId)) return `the resources of stack ${c.stackId} could not all be listed`
  return null
}

export function planDeletions(input: DeletionInput): DeletionPlan {
  const pending: PendingConfirmation[] = []
  const unknownResources = new Set(input.complete.stacksWithUnknownResources)
  const full = input.scope === 'all'
  const missesOf = (key: string): number => (Object.hasOwn(input.baseline.entries, key) ? input.baseline.entries[key].misses : 0)
  const answer = (cloudId: string): DirectAnswer => input.direct.get(cloudId) ?? 'not-asked'

  // Listings a direct GET proved wrong: an object missing from a complete listing that exists.
  const found = new Map<CloudKind, string[]>()
  const note = (kind: CloudKind, cloudId: string): void => {
    if (!full || input.listed.has(cloudId) || answer(cloudId) !== 'exists') return
    found.set(kind, [...(found.get(kind) ?? []), cloudId])
  }
  for (const c of input.racks) if (c.kind === 'stack' && rackIncomplete(c, input.complete) === null) note('stack', c.cloudId)
  for (const c of input.devices) if (deviceIncomplete(c, input.complete, unknownResources) === null) note(CLOUD_KIND[c.device.type], c.cloudId)

  const evidence = (key: string, cloudId: string, kind: CloudKind, incomplete: null | string): DeletionEvidence => ({
    direct: answer(cloudId),
    incomplete,
    inconsistent: found.has(kind),
    listed: input.listed.has(cloudId),
    misses: missesOf(key),
    scope: input.scope,
    seesAllProjects: input.seesAllProjects,
  })
  const action = <T extends 'device' | 'rack'>(
    object: T,
    key: string,
    cloudId: string,
    concertimId: string,
    name: string,
    reason: string,
    d: DeletionDecision,
    direct: DirectAnswer,
  ) => ({
    ...(d.blocked === undefined ? {} : {blocked: d.blocked}),
    body: null,
    changes: {},
    cloudId,
    concertimId,
    deletion: {direct, misses: d.misses},
    key,
    kind: 'delete' as const,
    name,
    object,
    reason,
  })

  // Racks of stacks.
  const rackDecision = new Map<string, DeletionDecision>()
  const rackActions: RackDelete[] = []
  const rackReason = (c: RackCandidate): string => {
    const n = c.contents.length
    const what = c.kind === 'stack' ? `stack ${c.cloudId} is gone` : `the stand-alone servers of project ${c.cloudId} are no longer shown`
    return `${what}${n > 0 ? ` (the rack and its ${n} device(s))` : ''}`
  }
  for (const c of input.racks) {
    if (c.kind !== 'stack') continue
    const e = {...evidence(c.key, c.cloudId, 'stack', rackIncomplete(c, input.complete)), unmanagedContents: c.unmanagedContents}
    const d = decide(`stack ${c.cloudId}`, e)
    if (d.ask) pending.push({cloudId: c.cloudId, cloudKind: 'stack', key: c.key})
    rackDecision.set(c.key, d)
    rackActions.push(action('rack', c.key, c.cloudId, c.rack.id, c.rack.name, rackReason(c), d, e.direct))
  }

  // Devices: with their rack when it goes, after it when it waits, on their own otherwise.
  const deviceActions: DeviceDelete[] = []
  const goingInRack = new Map<string, number>()
  const stayingInRack = new Map<string, number>()
  for (const c of input.devices) {
    const rd = c.rackKey === null ? undefined : rackDecision.get(c.rackKey)
    if (rd !== undefined && rd.blocked === undefined) continue // the rack's recursive delete takes it
    const kind = CLOUD_KIND[c.device.type]
    const what = `${c.device.type.toLowerCase()} ${c.cloudId}`
    const reason = `${what} is gone from the cloud`
    const e = evidence(c.key, c.cloudId, kind, deviceIncomplete(c, input.complete, unknownResources))
    let d: DeletionDecision
    if (rd?.ask === true) d = {ask: false, blocked: {code: 'unconfirmed', message: `waiting for the direct GET of its rack's stack ${c.stackId ?? ''}`.trimEnd()}, misses: 'keep'}
    else d = decide(what, e)
    if (d.ask) pending.push({cloudId: c.cloudId, cloudKind: kind, key: c.key})
    if (c.rackKey !== null) {
      const tally = d.blocked === undefined ? goingInRack : stayingInRack
      tally.set(c.rackKey, (tally.get(c.rackKey) ?? 0) + 1)
    }
    deviceActions.push(action('device', c.key, c.cloudId, c.device.id, c.device.name, reason, d, e.direct))
  }

  // Stand-alone racks: gone once every device of ours in them goes.
  for (const c of input.racks) {
    if (c.kind !== 'standalone') continue
    const staying = c.stayingContents + (stayingInRack.get(c.key) ?? 0)
    const direct: DirectAnswer = staying > 0 ? 'unknown' : 'gone'
    const e: DeletionEvidence = {...evidence(c.key, c.cloudId, 'server', rackIncomplete(c, input.complete)), direct, inconsistent: false, listed: false, unmanagedContents: c.unmanagedContents}
    const d: DeletionDecision =
      staying > 0 && (c.unmanagedContents ?? 0) === 0 && e.incomplete === null
        ? {ask: false, blocked: {code: 'unconfirmed', message: `it still holds ${staying} device(s) of ours that are not deleted this run`}, misses: 'keep'}
        : decide(`the stand-alone rack of project ${c.cloudId}`, e)
    rackActions.push(action('rack', c.key, c.cloudId, c.rack.id, c.rack.name, rackReason(c), d, direct))
  }

  const maxDeletes = input.maxDeletes ?? defaultMaxDeletes(input.managedCount)
  const actions: (DeviceDelete | RackDelete)[] = [...deviceActions, ...rackActions]
  const going = actions.filter((a) => a.blocked === undefined)
  const total = going.length + (input.alsoDeleting ?? 0)
  const capExceeded = total > maxDeletes
  if (capExceeded && !input.allowMassDelete) {
    for (const a of going) {
      a.blocked = {code: 'cap', message: capMessage(total, maxDeletes)}
      if (a.deletion !== undefined) a.deletion = {...a.deletion, misses: 'keep'}
    }
  }
  const inconsistencies = [...found].map(
    ([kind, ids]) =>
      `the ${LISTING_NAME[kind]} listing missed ${ids.length} object(s) that a direct GET found (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}): it is inconsistent (hidden stacks, a short page, a down cell, objects nested deeper than the membership depth); nothing was deleted on its word`,
  )
  return {actions, capExceeded, inconsistencies, maxDeletes, pending}
}
